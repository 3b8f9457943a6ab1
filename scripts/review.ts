/**
 * npm run review -- --week YYYY-MM-DD   a draft's state, when it publishes, its checks, decisions and a preview link
 * npm run review                        every draft not yet published
 * Reads the drafts with the operator role; finds the running local stack through
 * $DATA_DIR/stack.json, or with --deployed --stage S the deployment's tables from its outputs.
 */
import type { StoredDraft } from '#core/review/gate';
import type { DirectPreviewResult } from '#lambdas/edition/publish/handler';
import { weekOption } from './review-commands';
import {
  commandOptions,
  connect,
  failWith,
  invokeFunction,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
} from './stack-connection';

const USAGE = `usage:
  npm run review [-- --week YYYY-MM-DD] [--deployed --stage NAME]
    --week        any date of the drafted week (default: every draft not yet published)
${TARGET_USAGE}`;

function print(stored: StoredDraft): void {
  const { draft } = stored;
  console.log(`the week of ${draft.week}: ${draft.status}`);
  console.log(
    `  run ${draft.runId}${stored.email ? ' (its week to email)' : ''}; content ${draft.contentHash}`,
  );
  if (draft.status === 'held') console.log('  held: it publishes only when approved (npm run approve)');
  else if (draft.publishAt !== undefined && draft.status !== 'published')
    console.log(`  publishes at ${draft.publishAt} unless held`);
  else if (draft.status === 'awaiting-review')
    console.log('  publishes only when approved (npm run approve)');
  if (stored.checks.length === 0) console.log('  checks: none found anything');
  for (const check of stored.checks) {
    console.log(`  check ${check.id}: ${check.message}`);
    if (check.refs.length > 0) console.log(`    rows: ${check.refs.join(', ')}`);
    if (check.jurisdictionIds !== undefined)
      console.log(`    jurisdictions: ${check.jurisdictionIds.join(', ')}`);
  }
  for (const decision of draft.decisions) {
    console.log(
      `  ${decision.at} ${decision.kind} by ${decision.by}${decision.reason ? `: ${decision.reason}` : ''}`,
    );
  }
}

async function main(): Promise<void> {
  const options = {
    week: { type: 'string' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const week = await weekOption(values.week, USAGE);
  const connection = await connect(targetOf(values, USAGE));
  const { DynamoReviewStore } = await import('#adapters/review-store');
  const store = new DynamoReviewStore();
  if (week !== undefined) {
    const stored = await store.get(week);
    if (stored === undefined) {
      console.log(`the week of ${week} has no draft: nothing to review`);
      return;
    }
    print(stored);
    if (stored.draft.status !== 'published') {
      // A new key each time, made by the publisher (the operator's role cannot write drafts).
      const preview = await invokeFunction<DirectPreviewResult>(connection, 'publish', { preview: { week } });
      console.log(`  preview (no token needed, until ${preview.expiresAt}): ${preview.url}`);
    }
    return;
  }
  const open = (await store.list()).filter((stored) => stored.draft.status !== 'published');
  if (open.length === 0) console.log('no draft is waiting: nothing to review');
  for (const stored of open) print(stored);
}

main().catch(failWith);
