/**
 * npm run hold -- --week YYYY-MM-DD --reason "…" [--as NAME]
 * Holds one week's draft: it does not publish when its review window ends, until an editor
 * approves it (or an operator publishes it with npm run publish). Acts through the publisher
 * function, with its role.
 */
import { decide, describe, EDITOR_USAGE, editorName, weekOption } from './review-commands';
import {
  commandOptions,
  connect,
  failWith,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
  usage,
} from './stack-connection';

const USAGE = `usage:
  npm run hold -- --week YYYY-MM-DD --reason "…" [--as NAME] [--deployed --stage NAME]
    --week        any date of the drafted week
    --reason      what must be checked first (required; kept with the hold)
${EDITOR_USAGE}
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const options = {
    week: { type: 'string' },
    reason: { type: 'string' },
    as: { type: 'string' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  if (values.week === undefined) usage(`--week is required\n${USAGE}`);
  const week = await weekOption(values.week, USAGE);
  if (values.reason === undefined || values.reason.trim() === '' || values.reason.length > 2000)
    usage(`--reason is required: what must be checked first, 1 to 2000 characters\n${USAGE}`);
  const by = editorName(values.as, USAGE);
  const connection = await connect(targetOf(values, USAGE));
  const results = await decide(connection, {
    ...(week === undefined ? {} : { week }),
    decision: 'hold',
    by,
    reason: values.reason,
  });
  for (const result of results) console.log(describe(result));
}

main().catch(failWith);
