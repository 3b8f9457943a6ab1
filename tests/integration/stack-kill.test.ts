import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, describe, expect, it } from 'vitest';
import { S3RVER_CREDENTIALS } from '#local/emulators';
import { readStackFile } from '#local/stack-file';
import { syntheticRecord } from '../support/api';
import { type SentMail, startTestStack, TEST_TOKEN, type TestStack } from '../support/local-stack';
import { eventually, subscribeAndConfirm } from '../support/publishing';

/**
 * Contract §1: a message a local queue has acknowledged survives a kill of the stack. The stack
 * is killed with SIGKILL right after the publisher's fan-out has queued an edition's batches (the
 * ledger already says `queued`, and nothing would queue them again); after a restart on the same
 * DATA_DIR every confirmed reader gets the edition exactly once. The send queue's event source
 * mapping is disabled until the kill, as an operator can disable one, so that the batches are
 * queued and not yet received when the stack dies.
 */

const ROOT = join(import.meta.dirname, '..', '..');
const county = { id: 'XQKL0101', name: 'Synthetic Killbuck County Sheriff’s Office', state: 'OH' };
const WEEK = '2017-03-04';
const READERS = Array.from({ length: 6 }, (_, i) => `kill-reader-${i}@example.org`);

let dataDir = '';
let child: ChildProcess | undefined;
let stack: TestStack | undefined;

afterAll(async () => {
  child?.kill('SIGKILL');
  await stack?.stop();
  if (dataDir !== '') await rm(dataDir, { recursive: true, force: true });
});

function startChild(...disabled: string[]): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const started = spawn(
      process.execPath,
      ['--import', 'tsx', join(ROOT, 'tests/support/stack-child.ts'), dataDir, ...disabled],
      {
        cwd: ROOT,
        env: { ...process.env, INTAKE_TOKEN: TEST_TOKEN },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    started.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
      if (output.includes('ready\n')) resolve(started);
    });
    started.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString('utf8');
    });
    started.on('exit', (code) => reject(new Error(`the stack child exited ${code}: ${output}`)));
  });
}

describe('a stack killed right after a fan-out', () => {
  it('mails every confirmed reader exactly once after a restart', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'ddor-kill-'));
    // Readers confirmed and a week recorded, on disk.
    stack = await startTestStack({ dataDir, inMemory: false });
    const recorded = await stack.api('/outcomes/KILL-1', {
      method: 'PUT',
      body: syntheticRecord({ jurisdiction: county, issuedOn: WEEK, declinedOn: WEEK, learnedOn: WEEK }),
    });
    expect(recorded.status).toBe(201);
    for (const reader of READERS) await subscribeAndConfirm(stack, reader);
    await stack.stop();
    stack = undefined;

    // The stack in a process of its own, its send mapping disabled: the publisher fans out.
    child = await startChild('ddor-send');
    const file = await readStackFile(dataDir);
    const credentials = S3RVER_CREDENTIALS;
    const lambda = new LambdaClient({
      endpoint: `http://127.0.0.1:${file.ports.lambda}`,
      region: 'us-east-1',
      credentials,
      maxAttempts: 1,
    });
    const out = await lambda.send(
      new InvokeCommand({
        FunctionName: file.functions?.publish ?? '',
        Payload: new TextEncoder().encode(JSON.stringify({ date: WEEK, email: true })),
      }),
    );
    lambda.destroy();
    expect(out.FunctionError).toBeUndefined();
    expect(JSON.parse(new TextDecoder().decode(out.Payload))).toMatchObject({ email: { decision: 'send' } });
    const sqs = new SQSClient({ endpoint: file.urls.sqs ?? '', region: 'us-east-1', credentials });
    const attributes = await sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: file.queues?.SEND_QUEUE_URL,
        AttributeNames: ['ApproximateNumberOfMessages'],
      }),
    );
    sqs.destroy();
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBeGreaterThan(0);

    // SIGKILL: no stop, no flush.
    const exited = new Promise((resolve) => child?.once('exit', resolve));
    child.kill('SIGKILL');
    await exited;
    child = undefined;

    // Restarted on the same DATA_DIR (in a process of its own again: this one's SDK clients
    // still point at the first stack), the mapping on: each reader gets the edition once.
    child = await startChild();
    const restarted = await readStackFile(dataDir);
    const page = `/reports/${WEEK}/`;
    const editionsTo = async () => {
      const mail = (await (await fetch(restarted.urls.mailStore)).json()) as { emails: SentMail[] };
      const editions = mail.emails.filter((m) => m.body.text?.includes(page));
      return READERS.map((reader) => editions.filter((m) => m.destination.to.includes(reader)).length);
    };
    await eventually(
      editionsTo,
      (counts) => counts.every((count) => count >= 1),
      'every reader mailed',
      30_000,
    );
    // And no second copy arrives.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    expect(await editionsTo()).toEqual(READERS.map(() => 1));
  }, 120_000);
});
