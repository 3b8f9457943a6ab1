import { afterEach, describe, expect, it } from 'vitest';
import { isAllowed, withoutGrant } from '#local/iam/policy';
import type { FunctionKey, Statement } from '#local/lambda/template';
import { syntheticRecord } from '../support/api';
import { type TestStack, useLocalStack } from '../support/local-stack';
import { eventually, mailTo, runCli, subscribeAndConfirm } from '../support/publishing';

/**
 * Contract §1: each local function acts with the IAM policy the CDK app gives it, read from the
 * synthesized template, and a call outside it fails as AWS fails it. Each case takes one grant
 * that the publish-and-send scenario needs away from the extracted policy, and shows that the
 * scenario then fails with AccessDenied, where it should fail, and changes nothing it should not.
 */

const TABLE = (name: string) => `arn:aws:dynamodb:us-east-1:000000000000:table/ddor-${name}`;
const county = { id: 'XQIA0101', name: 'Synthetic Grantless County Sheriff’s Office', state: 'IA' };

// Written before editorial review: the weekly run publishes at once.
const stack = useLocalStack({ review: { mode: 'off' } });
let n = 0;

afterEach(() => {
  for (const role of ['publish', 'send', 'operator'] as const) stack().editPolicy(role, undefined);
});

/** `role` without `action` on `resource` from now on; a week (its first day) and a reader of its own. */
async function withoutOne(
  role: FunctionKey,
  action: string,
  resource: string,
): Promise<{ started: TestStack; week: string; reader: string }> {
  n += 1;
  const started = stack();
  const week = `2017-0${n + 1}-04`;
  const reader = `grant-reader-${n}@example.org`;
  const response = await started.api(`/outcomes/GRANT-${n}`, {
    method: 'PUT',
    body: syntheticRecord({ jurisdiction: county, issuedOn: week, declinedOn: week, learnedOn: week }),
  });
  expect(response.status).toBe(201);
  await subscribeAndConfirm(started, reader);
  started.editPolicy(role, (statements) => withoutGrant(statements, action, resource));
  return { started, week, reader };
}

function refusalsOf(started: TestStack, role: string): string[] {
  return started
    .refusals()
    .filter((refusal) => refusal.principal === role)
    .map((refusal) => refusal.message);
}

describe('a grant taken from the extracted policy', () => {
  it('the publisher without PutItem on Editions: npm run publish fails with AccessDenied, nothing is published', async () => {
    const { started, week, reader } = await withoutOne('publish', 'dynamodb:PutItem', TABLE('Editions'));
    const run = await runCli('publish.ts', ['--week', week], started.dataDir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `is not authorized to perform: dynamodb:PutItem on resource: ${TABLE('Editions')}`,
    );
    expect(refusalsOf(started, 'publish').join('\n')).toContain('dynamodb:PutItem');
    const page = await fetch(`${started.urls.gateway}/reports/${week}/`);
    expect(page.status).toBe(404);
    expect(await mailTo(started, reader)).toHaveLength(1); // the confirmation only
  });

  it('the publisher without GetItem on SendLedger: the emailed publication fails at its fan-out, no reader is mailed', async () => {
    const { started, week, reader } = await withoutOne('publish', 'dynamodb:GetItem', TABLE('SendLedger'));
    const run = await runCli('publish.ts', ['--week', week], started.dataDir);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      `is not authorized to perform: dynamodb:GetItem on resource: ${TABLE('SendLedger')}`,
    );
    expect(await mailTo(started, reader)).toHaveLength(1);
  });

  it('the publisher without Query on SendLedger: a first publication emails, an operator’s rerun is refused', async () => {
    const { started, week, reader } = await withoutOne('publish', 'dynamodb:Query', TABLE('SendLedger'));
    const before = refusalsOf(started, 'publish').length;
    const first = await runCli('publish.ts', ['--week', week], started.dataDir);
    expect(first.code, first.stderr).toBe(0);
    expect(refusalsOf(started, 'publish').slice(before)).toEqual([]);
    // The rerun reads which readers the edition has settled, to queue the others (issue 11, item 6).
    const again = await runCli('publish.ts', ['--week', week], started.dataDir);
    expect(again.code).toBe(1);
    expect(refusalsOf(started, 'publish').slice(before).join('\n')).toContain(
      `is not authorized to perform: dynamodb:Query on resource: ${TABLE('SendLedger')}`,
    );
    expect(await mailTo(started, reader)).toHaveLength(2); // confirmation and edition, once
  });

  it('the sender without UpdateItem on SendLedger: its batches fail with AccessDenied and no reader is mailed', async () => {
    const { started, week, reader } = await withoutOne('send', 'dynamodb:UpdateItem', TABLE('SendLedger'));
    const publisher = started.functions.get('publish');
    const sender = started.functions.get('send');
    if (publisher === undefined || sender === undefined) throw new Error('no publisher or sender');
    await expect(publisher.invoke({ date: week, email: true })).resolves.toMatchObject({
      email: { decision: 'send' },
    });
    await eventually(
      async () => refusalsOf(started, 'send').filter((message) => message.includes('dynamodb:UpdateItem')),
      (found) => found.length > 0,
      "the sender's refused UpdateItem",
      20_000,
    );
    expect(refusalsOf(started, 'send').join('\n')).toContain(
      `is not authorized to perform: dynamodb:UpdateItem on resource: ${TABLE('SendLedger')}`,
    );
    // The sender's own log says so, as CloudWatch would show it.
    await eventually(
      async () => sender.logs().filter((line) => line.includes('AccessDeniedException')),
      (found) => found.length > 0,
      'AccessDeniedException in the sender log',
      10_000,
    );
    expect(await mailTo(started, reader)).toHaveLength(1);
  });
});

describe('the grants the publisher has', () => {
  it('finish a weekly run of an emailed week whose record changed in a field the edition does not show', async () => {
    const started = stack();
    const week = '2017-06-03';
    const at = '2017-06-12T14:00:00Z';
    const reader = 'note-reader@example.org';
    const body = (note: string) =>
      syntheticRecord({ jurisdiction: county, issuedOn: week, declinedOn: week, learnedOn: week, note });
    expect((await started.api('/outcomes/GRANT-NOTE', { method: 'PUT', body: body('first') })).status).toBe(
      201,
    );
    await subscribeAndConfirm(started, reader);
    const first = await runCli('weekly.ts', ['--at', at], started.dataDir);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stdout).toContain(`${week} published r1, emailed`);
    // The note is not in the edition: the week is checked again, its content unchanged.
    expect((await started.api('/outcomes/GRANT-NOTE', { method: 'PUT', body: body('second') })).status).toBe(
      200,
    );
    const again = await runCli('weekly.ts', ['--at', at], started.dataDir);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stdout).toContain(`${week} unchanged r1`);
    // The week's edition reached the reader once (an earlier case's week, whose fan-out failed,
    // is resumed by these runs too: that mail is not counted here).
    const editions = (await mailTo(started, reader)).filter((mail) =>
      mail.body.text?.includes(`/reports/${week}/`),
    );
    expect(editions).toHaveLength(1);
  });
});

describe('the extracted policies', () => {
  it('are the template’s: the publisher may put editions and read the ledger, not write outcomes', async () => {
    const started = stack();
    const { readAssembly } = await import('#local/lambda/template');
    const { ensureAssembly } = await import('#local/assembly');
    const assembly = await readAssembly(await ensureAssembly(), started.environment);
    const publisher: readonly Statement[] = assembly.functions.publish.statements;
    expect(isAllowed(publisher, 'dynamodb:PutItem', TABLE('Editions'))).toBe(true);
    expect(isAllowed(publisher, 'dynamodb:GetItem', TABLE('SendLedger'))).toBe(true);
    expect(isAllowed(publisher, 'dynamodb:Query', TABLE('SendLedger'))).toBe(true);
    expect(isAllowed(publisher, 'dynamodb:DeleteItem', TABLE('SendLedger'))).toBe(false);
    expect(isAllowed(publisher, 'dynamodb:DeleteItem', TABLE('Outcomes'))).toBe(false);
    const sender = assembly.functions.send.statements;
    expect(isAllowed(sender, 'dynamodb:UpdateItem', TABLE('SendLedger'))).toBe(true);
    expect(isAllowed(sender, 'dynamodb:PutItem', TABLE('Editions'))).toBe(false);
    // The send grant holds only for the template's sender address.
    const identity = 'arn:aws:ses:us-east-1:000000000000:identity/example.org';
    expect(isAllowed(sender, 'ses:SendEmail', identity, { 'ses:FromAddress': 'reports@example.org' })).toBe(
      true,
    );
    expect(isAllowed(sender, 'ses:SendEmail', identity, { 'ses:FromAddress': 'other@example.org' })).toBe(
      false,
    );
  });

  it('refuses a call the intake function’s role does not allow, with the SDK’s AccessDeniedException', async () => {
    const started = stack();
    const { DynamoDBClient, ScanCommand } = await import('@aws-sdk/client-dynamodb');
    const { credentialEnvironment, rolePrincipal } = await import('#local/iam/principals');
    const keys = credentialEnvironment(rolePrincipal('intake', []));
    const client = new DynamoDBClient({
      endpoint: started.urls.dynamodb,
      region: 'us-east-1',
      credentials: {
        accessKeyId: keys.AWS_ACCESS_KEY_ID ?? '',
        secretAccessKey: keys.AWS_SECRET_ACCESS_KEY ?? '',
      },
    });
    try {
      await expect(client.send(new ScanCommand({ TableName: 'ddor-Subscribers' }))).rejects.toMatchObject({
        name: 'AccessDeniedException',
      });
    } finally {
      client.destroy();
    }
  });
});
