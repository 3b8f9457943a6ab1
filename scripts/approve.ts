/**
 * npm run approve -- --week YYYY-MM-DD [--as NAME] [--reason "…"]   approve one week's draft
 * npm run approve -- --run RUN [--as NAME]                          approve every draft of a run
 * An approval is of the draft's content as it stands and publishes it at once, in every review
 * mode; it also releases a hold. Acts through the publisher function, with its role.
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
  npm run approve -- --week YYYY-MM-DD [--as NAME] [--reason "…"] [--deployed --stage NAME]
  npm run approve -- --run RUN [--as NAME] [--deployed --stage NAME]
    --week        any date of the drafted week
    --run         a weekly run's id (its scheduled time, as npm run review prints it): every draft of it
    --reason      kept with the approval (optional)
${EDITOR_USAGE}
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const options = {
    week: { type: 'string' },
    run: { type: 'string' },
    reason: { type: 'string' },
    as: { type: 'string' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  if ((values.week === undefined) === (values.run === undefined))
    usage(`give exactly one of --week or --run\n${USAGE}`);
  const week = await weekOption(values.week, USAGE);
  if (values.reason !== undefined && (values.reason.trim() === '' || values.reason.length > 2000))
    usage(`--reason must be 1 to 2000 characters\n${USAGE}`);
  const by = editorName(values.as, USAGE);
  const connection = await connect(targetOf(values, USAGE));
  const results = await decide(connection, {
    ...(week === undefined ? {} : { week }),
    ...(values.run === undefined ? {} : { run: values.run }),
    decision: 'approve',
    by,
    ...(values.reason === undefined ? {} : { reason: values.reason }),
  });
  for (const result of results) console.log(describe(result));
}

main().catch(failWith);
