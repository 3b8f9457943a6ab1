import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { DynamoLedgerStore } from '#adapters/ledger-store';
import { DynamoSubscriberStore } from '#adapters/subscriber-store';
import type { Edition } from '#core/edition/model';
import { editionKey, type SendProgress } from '#core/mail/send-ledger';
import { mailboxOf } from '#core/subscriptions/email-address';
import type { Subscriber } from '#core/subscriptions/subscribers';
import type { DirectPublishResult } from '#lambdas/edition/publish/handler';
import { localFunctionName } from '#local/lambda/template';
import { syntheticRecord } from './api';
import { type SentMail, TEST_SOURCE_HEADER, type TestStack } from './local-stack';

/**
 * Helpers for the publication and email integration tests. They run in the test process, where
 * the local stack has set the functions' environment, so the real adapters reach the stack.
 */

const ROOT = join(import.meta.dirname, '..', '..');

/** What `publish()` answers: the publisher's own answer, and the edition as the site now serves it. */
export interface PublishedWeek extends DirectPublishResult {
  readonly record: { readonly email: DirectPublishResult['email'] };
  readonly edition: Edition;
}

/**
 * Publishes the week containing `date` as `npm run publish` does: the publisher function itself
 * (its deployed bundle, with its own role) invoked through the local Lambda API. When the edition
 * is emailed, waits until the ledger counts every recipient, as the command does.
 */
export async function publish(date: string, email: boolean): Promise<PublishedWeek> {
  const lambda = new LambdaClient({ maxAttempts: 1 });
  let result: DirectPublishResult;
  try {
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: localFunctionName('publish'),
        Payload: new TextEncoder().encode(JSON.stringify({ date, email })),
      }),
    );
    const payload: unknown = JSON.parse(new TextDecoder().decode(out.Payload ?? new Uint8Array()));
    if (out.FunctionError !== undefined) {
      const failure = payload as { errorType?: string; errorMessage?: string };
      throw new Error(`the publisher failed: ${failure.errorMessage ?? ''} (${failure.errorType ?? ''})`);
    }
    result = payload as DirectPublishResult;
  } finally {
    lambda.destroy();
  }
  if (result.email.decision === 'send') await waitForSend(result.week, result.revision);
  const edition = await publishedReport(process.env.SITE_URL ?? '', result.week);
  return { ...result, record: { email: result.email }, edition };
}

/** The week's latest report.json, as the site serves it. */
export async function publishedReport(gateway: string, week: string): Promise<Edition> {
  const response = await fetch(new URL(`/reports/${week}/report.json`, gateway));
  if (response.status !== 200)
    throw new Error(`GET /reports/${week}/report.json answered ${response.status}`);
  return (await response.json()) as Edition;
}

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command of section 6 as a user does (`npx tsx scripts/<script> …`), in a child process
 * that finds the stack through `$DATA_DIR/stack.json` alone: its environment carries nothing of
 * the stack but DATA_DIR. Asynchronous on purpose: the stack's queue pollers (which send the
 * email the command waits for) run in this process and must keep running meanwhile.
 */
export function runCli(
  script: string,
  args: readonly string[],
  dataDir: string,
  timeoutMs = 45_000,
  env: Readonly<Record<string, string>> = {},
): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(join(ROOT, 'node_modules', '.bin', 'tsx'), [join('scripts', script), ...args], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '',
        DATA_DIR: dataDir,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    // SIGTERM: the tsx command passes it on to the process that runs the script.
    const timer = setTimeout(() => child.kill('SIGTERM'), timeoutMs);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export async function eventually<T>(
  read: () => Promise<T>,
  done: (value: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** As `npm run publish` waits: until the ledger's progress counts every queued recipient. */
export function waitForSend(week: string, revision: number, timeoutMs = 20_000): Promise<SendProgress> {
  const ledger = new DynamoLedgerStore();
  return eventually(
    async () => ledger.progress(editionKey(week, revision)),
    (progress): progress is SendProgress =>
      progress?.status === 'queued' && progress.sent + progress.skipped >= progress.total,
    `the send of ${week} r${revision} to finish`,
    timeoutMs,
  ) as Promise<SendProgress>;
}

/** Resolves once the stack's queues hold no message, visible or in flight (no function is at work). */
export async function waitForQueuesIdle(stack: TestStack, timeoutMs = 15_000): Promise<void> {
  const client = new SQSClient({ endpoint: stack.urls.sqs });
  try {
    const counts = async (): Promise<number[]> => {
      const all: number[] = [];
      for (const url of Object.values(stack.queues)) {
        const out = await client.send(
          new GetQueueAttributesCommand({
            QueueUrl: url,
            AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
          }),
        );
        all.push(
          Number(out.Attributes?.ApproximateNumberOfMessages ?? 0),
          Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
        );
      }
      return all;
    };
    // Twice in a row, a little apart: a message handed to a function is in flight, never unseen.
    await eventually(counts, (all) => all.every((n) => n === 0), 'the queues to be idle', timeoutMs);
    await new Promise((resolve) => setTimeout(resolve, 150));
    await eventually(counts, (all) => all.every((n) => n === 0), 'the queues to be idle', timeoutMs);
  } finally {
    client.destroy();
  }
}

export async function mailTo(stack: TestStack, address: string): Promise<SentMail[]> {
  return (await stack.sentMail()).filter((mail) => mail.destination.to.includes(address));
}

/** The path and query of a link, for stack.api. */
export function pathOf(link: string): string {
  const url = new URL(link);
  return `${url.pathname}${url.search}`;
}

export function confirmLinkIn(mail: SentMail | undefined): string {
  const link = /(http:\/\/\S+\/subscriptions\/confirm\?token=[A-Za-z0-9_.%-]+)/.exec(
    mail?.body.text ?? '',
  )?.[1];
  if (link === undefined) throw new Error(`no confirmation link in ${JSON.stringify(mail?.body.text)}`);
  return link;
}

/** The stored subscriber of an address's mailbox. */
export async function subscriber(address: string): Promise<Subscriber | undefined> {
  return new DynamoSubscriberStore().get(mailboxOf(address));
}

/** A source address of its own for each address (10.x.y.z), so helpers never meet the source limit. */
export function sourceFor(address: string): string {
  const digest = createHash('sha256').update(address).digest();
  return `10.${digest[0] ?? 0}.${digest[1] ?? 0}.${digest[2] ?? 0}`;
}

export function subscribe(stack: TestStack, address: string, source = sourceFor(address)): Promise<Response> {
  return stack.api('/subscriptions', {
    body: { email: address },
    token: null,
    headers: { [TEST_SOURCE_HEADER]: source },
  });
}

/** Presses the confirmation page's button: the POST its form makes (a GET changes nothing). */
export function confirm(stack: TestStack, link: string, source = '10.255.0.1'): Promise<Response> {
  return stack.api(pathOf(link), {
    method: 'POST',
    body: '',
    token: null,
    headers: { 'content-type': 'application/x-www-form-urlencoded', [TEST_SOURCE_HEADER]: source },
  });
}

/** Subscribes and confirms with the link found in the SES store, as a reader does. */
export async function subscribeAndConfirm(stack: TestStack, address: string): Promise<void> {
  const answer = await subscribe(stack, address);
  if (answer.status !== 202) throw new Error(`subscribe ${address} answered ${answer.status}`);
  const mails = await eventually(
    () => mailTo(stack, address),
    (found) => found.length > 0,
    `the confirmation to ${address}`,
  );
  const confirmed = await confirm(stack, confirmLinkIn(mails[0]), sourceFor(address));
  if (confirmed.status !== 200) throw new Error(`confirming ${address} answered ${confirmed.status}`);
  const stored = await subscriber(address);
  if (stored?.status !== 'confirmed') throw new Error(`${address} is ${stored?.status}, not confirmed`);
}

/** The value of a header of a stored message (names compared case-insensitively). */
export function headerOf(mail: SentMail, name: string): string | undefined {
  return mail.headers?.find((header) => header.name.toLowerCase() === name.toLowerCase())?.value;
}

/**
 * Moves every message of a queue (whose event source is disabled) to its dead-letter queue, as
 * five failed receives would; answers how many.
 */
export async function deadLetterAll(queueUrl: string): Promise<number> {
  const sqs = new SQSClient({});
  let moved = 0;
  try {
    for (;;) {
      const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10 }));
      if ((out.Messages ?? []).length === 0) return moved;
      for (const message of out.Messages ?? []) {
        await sqs.send(
          new SendMessageCommand({ QueueUrl: `${queueUrl}-dlq`, MessageBody: message.Body ?? '' }),
        );
        await sqs.send(
          new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.ReceiptHandle ?? '' }),
        );
        moved += 1;
      }
    }
  } finally {
    sqs.destroy();
  }
}

/** Messages waiting in a queue. */
export async function queueDepth(queueUrl: string): Promise<number> {
  const sqs = new SQSClient({});
  try {
    const out = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    return Number(out.Attributes?.ApproximateNumberOfMessages);
  } finally {
    sqs.destroy();
  }
}

/** One decline recorded in `week` (its first day) for `county`, so the week's edition has something to send. */
export async function recordDecline(
  stack: TestStack,
  county: { id: string; name: string; state: string },
  id: string,
  week: string,
): Promise<void> {
  const recorded = await stack.api(`/outcomes/${id}`, {
    method: 'PUT',
    body: syntheticRecord({ jurisdiction: county, issuedOn: week, declinedOn: week, learnedOn: week }),
  });
  if (recorded.status !== 201) throw new Error(`recording ${id} answered ${recorded.status}`);
}
