import { describe, expect, it } from 'vitest';
import type { Edition } from '#core/edition/model';
import { draftAnswerSchema, reviewAnswerSchema } from '#core/intake/responses';
import { type ApiClient, apiClient, syntheticRecord } from '../support/api';
import { TEST_TOKEN, useLocalStack } from '../support/local-stack';
import {
  eventually,
  mailTo,
  publishedReport,
  recordDecline,
  runCli,
  subscribeAndConfirm,
  waitForSend,
} from '../support/publishing';

/**
 * The editors' desk (contract §3): one editors' email per run with each draft's headline, what
 * it changes, its checks and a preview link that needs no token (noindex, no-store, no
 * referrer); the draft's page and JSON for admin and editor tokens only; a hold needs a reason;
 * an approval through the API publishes the week and emails its readers once.
 */
const stack = useLocalStack({ review: { mode: 'required' } });

const county = { id: 'ZZDK0001', name: 'Synthetic Desk County Sheriff', state: 'OR' };
const WEEK = '2017-03-04';
const RUN_AT = '2017-03-13T13:00:00Z';
const READER = 'desk-reader@example.org';
const EDITORS = 'editors@example.org';

async function weeklyRun(): Promise<void> {
  const run = await runCli('weekly.ts', ['--at', RUN_AT], stack().dataDir, 120_000);
  expect(run.code, run.stderr).toBe(0);
}

async function client(role: string): Promise<ApiClient> {
  const admin = apiClient(stack().urls.gateway, TEST_TOKEN);
  const created = await admin.call<{ token: string }>('POST', '/clients', { name: 'Synthetic Editor', role });
  expect(created.status).toBe(201);
  return admin.withToken(created.body.token);
}

interface DraftJson {
  edition: { headline: { declined: number }; edition: { week: string } };
  checks: { id: string; message: string; refs: string[] }[];
  status: string;
  publishAt: string | null;
  contentHash: string;
  decisions: { kind: string; by: string; reason?: string }[];
}

describe('the editors’ desk', () => {
  it('emails the editors once per run, previews by key, and publishes on an approval through the API', async () => {
    await subscribeAndConfirm(stack(), READER);
    await stack().clearMail();
    await recordDecline(stack(), county, 'DK-1', '2017-03-06');
    await weeklyRun();

    // One editors' email for the run: the week, its figures, what it changes, a preview link.
    const [notice, ...more] = await eventually(
      () => mailTo(stack(), EDITORS),
      (mail) => mail.length > 0,
      'the editors’ email',
    );
    expect(more).toEqual([]);
    expect(notice?.subject).toMatch(/^1 draft to review/);
    const text = notice?.body.text ?? '';
    expect(text).toContain('== Week of March 4 – 10, 2017 ==');
    expect(text).toContain('Awaiting review. Publishes only when an editor approves it.');
    expect(text).toContain('1 decline');
    expect(text).toContain('A first edition: this week has never been published.');
    expect(notice?.body.html).toContain('Preview the draft');
    const link = /Preview \(no sign-in, until [^)]+\): (\S+)/.exec(text)?.[1] ?? '';
    expect(link).toMatch(new RegExp(`/editions/${WEEK}/draft\\?key=[A-Za-z0-9_-]{20,}$`));
    expect(await mailTo(stack(), READER)).toEqual([]);

    // The preview needs no token, and says so to robots, caches and referrers.
    const preview = await fetch(link);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('x-robots-tag')).toContain('noindex');
    expect(preview.headers.get('cache-control')).toBe('no-store');
    expect(preview.headers.get('referrer-policy')).toBe('no-referrer');
    expect(preview.headers.get('content-security-policy')).toMatch(
      /default-src 'none'; style-src http:\/\/127\.0\.0\.1/,
    );
    const page = await preview.text();
    expect(page).toContain('Draft, not published.');
    expect(page).toContain('<meta name="robots" content="noindex, nofollow">');
    expect(page).toContain(`href="${stack().urls.gateway}/assets/site.css"`);
    expect(page).toContain(county.name);
    const stylesheet = await fetch(new URL('/assets/site.css', stack().urls.gateway));
    expect(stylesheet.status).toBe(200);
    // A wrong or missing key is refused, the same way whether or not the week has a draft.
    const wrong = await fetch(link.replace(/key=.*/, 'key=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA'));
    const none = await fetch(
      new URL(`/editions/2017-02-25/draft?key=AAAAAAAAAAAAAAAAAAAAAAAA`, stack().urls.gateway),
    );
    expect(wrong.status).toBe(401);
    expect(none.status).toBe(401);
    expect(await wrong.text()).toBe(await none.text());

    // The draft's JSON and page: admin and editor tokens only.
    const editor = await client('editor');
    const draft = await editor.call<DraftJson>('GET', `/editions/${WEEK}/draft.json`);
    expect(draft.status).toBe(200);
    // Exactly what the OpenAPI document says (strict: a field it does not name fails).
    draftAnswerSchema.parse(draft.body);
    expect(draft.body).toMatchObject({ status: 'awaiting-review', publishAt: null });
    expect(draft.body.edition.headline.declined).toBe(1);
    expect(draft.body.edition.edition.week).toBe(WEEK);
    expect(draft.body.decisions.map((d) => d.kind)).toEqual(['assembled']);
    expect(draft.body.checks.map((c) => c.id)).toContain('thin-section-i');
    // Any day of the week names it.
    expect((await editor.call('GET', '/editions/2017-03-08/draft.json')).status).toBe(200);
    const html = await fetch(new URL(`/editions/${WEEK}/draft`, stack().urls.gateway), {
      headers: { authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(html.status).toBe(200);
    expect(await html.text()).toContain('Draft, not published.');
    const intake = await client('intake');
    expect((await intake.call('GET', `/editions/${WEEK}/draft.json`)).status).toBe(403);
    expect((await intake.call('POST', `/editions/${WEEK}/review`, { decision: 'approve' })).status).toBe(403);
    expect((await editor.withToken(undefined).call('GET', `/editions/${WEEK}/draft.json`)).status).toBe(401);
    expect((await editor.call('GET', '/editions/2017-02-25/draft.json')).status).toBe(404);
    expect((await editor.call('GET', '/editions/2017-02-30/draft.json')).status).toBe(400);

    // A hold needs a reason; an approval of content nobody read is refused.
    const bare = await editor.call<{ issues: { path: string }[] }>('POST', `/editions/${WEEK}/review`, {
      decision: 'hold',
    });
    expect(bare.status).toBe(400);
    expect(bare.body.issues.map((issue) => issue.path)).toEqual(['reason']);
    const held = await editor.call('POST', `/editions/${WEEK}/review`, {
      decision: 'hold',
      reason: 'check the Synthetic Desk County row with its sheriff',
    });
    expect(held.status).toBe(200);
    expect(held.body).toMatchObject({ status: 'held', publishing: false });
    reviewAnswerSchema.parse(held.body);

    // The record changes after the draft: the next run assembles it again (still held), the
    // editors are told, the check names the row, and an approval of what they read is refused.
    const changed = await stack().api('/outcomes/DK-1', {
      method: 'PUT',
      body: syntheticRecord({
        jurisdiction: county,
        issuedOn: '2017-03-06',
        declinedOn: '2017-03-06',
        learnedOn: '2017-03-06',
        facility: 'Synthetic Desk County Annex',
      }),
    });
    expect(changed.status).toBe(200);
    await weeklyRun();
    const again = await mailTo(stack(), EDITORS);
    expect(again.map((m) => m.subject)).toEqual([
      notice?.subject,
      'Draft changed, review again: Week of March 4 – 10, 2017 (Declined Detainer Outcome Report)',
    ]);
    const reassembled = await editor.call<DraftJson>('GET', `/editions/${WEEK}/draft.json`);
    expect(reassembled.body.status).toBe('held');
    expect(reassembled.body.contentHash).not.toBe(draft.body.contentHash);
    const ref = (reassembled.body.edition as unknown as Edition).sectionII[0]?.declines[0]?.ref;
    expect(reassembled.body.checks).toContainEqual(
      expect.objectContaining({ id: 'changed-after-draft', refs: [ref] }),
    );
    const stale = await editor.call('POST', `/editions/${WEEK}/review`, {
      decision: 'approve',
      contentHash: draft.body.contentHash,
    });
    expect(stale.status).toBe(409);
    expect(await mailTo(stack(), READER)).toEqual([]);
    expect((await fetch(new URL(`/reports/${WEEK}/`, stack().urls.gateway))).status).toBe(404);

    const approved = await editor.call('POST', `/editions/${WEEK}/review`, {
      decision: 'approve',
      reason: 'checked with the sheriff',
      contentHash: reassembled.body.contentHash,
    });
    expect(approved.status).toBe(200);
    expect(approved.body).toMatchObject({ status: 'approved', publishing: true });
    await eventually(
      async () => (await fetch(new URL(`/reports/${WEEK}/`, stack().urls.gateway))).status,
      (status) => status === 200,
      'the approved week’s page',
      60_000,
    );
    await waitForSend(WEEK, 1);
    expect(await mailTo(stack(), READER)).toHaveLength(1);
    const edition = await publishedReport(stack().urls.gateway, WEEK);
    expect(edition.sectionIV.review).toMatch(/approved by Synthetic Editor/);

    // Published: nothing is left to review, and the JSON says so.
    expect((await editor.call('POST', `/editions/${WEEK}/review`, { decision: 'approve' })).status).toBe(409);
    const after = await editor.call<DraftJson>('GET', `/editions/${WEEK}/draft.json`);
    expect(after.body.status).toBe('published');
    expect(after.body.decisions.map((d) => d.kind)).toEqual([
      'assembled',
      'hold',
      'reassembled',
      'approve',
      'published',
    ]);

    // A run that finds nothing new emails neither the editors nor the readers again.
    await weeklyRun();
    expect(await mailTo(stack(), EDITORS)).toHaveLength(2);
    expect(await mailTo(stack(), READER)).toHaveLength(1);

    // A dispute opened reaches the editors at once, with its row, who and why (escaped).
    const opened = await intake.call<{ ref: string }>('POST', '/outcomes/DK-1/disputes', {
      reason: 'The <b>facility</b> is wrong & so is the date',
    });
    expect(opened.status).toBe(201);
    const disputeMail = await eventually(
      async () => (await mailTo(stack(), EDITORS)).filter((m) => m.subject.startsWith('Dispute opened')),
      (mail) => mail.length > 0,
      'the editors’ dispute email',
    );
    expect(disputeMail).toHaveLength(1);
    expect(disputeMail[0]?.subject).toBe(
      `Dispute opened about row ${opened.body.ref} (Declined Detainer Outcome Report)`,
    );
    expect(disputeMail[0]?.body.text).toContain('The <b>facility</b> is wrong & so is the date');
    expect(disputeMail[0]?.body.html).toContain(
      'The &lt;b&gt;facility&lt;/b&gt; is wrong &amp; so is the date',
    );
    expect(disputeMail[0]?.body.html).not.toContain('<b>facility');
  }, 180_000);
});
