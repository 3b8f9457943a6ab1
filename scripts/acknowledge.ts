/**
 * npm run acknowledge -- --pair ID1,ID2 [--reason "…"] [--as NAME]
 * Acknowledges for good that two jurisdictions of one name in two states are two (the
 * `same-name` check of editorial review, contract §3): the check stops naming the pair from the
 * next assembly of a draft on. Acts through the publisher function, with its role.
 */
import type { DirectAcknowledgeResult } from '#lambdas/edition/publish/handler';
import { EDITOR_USAGE, editorName } from './review-commands';
import {
  commandOptions,
  connect,
  failWith,
  invokeFunction,
  TARGET_OPTIONS,
  TARGET_USAGE,
  targetOf,
  usage,
} from './stack-connection';

const USAGE = `usage:
  npm run acknowledge -- --pair ID1,ID2 [--reason "…"] [--as NAME] [--deployed --stage NAME]
    --pair        the two jurisdiction ids the same-name check names, separated by a comma
    --reason      why they are two (optional; kept with the acknowledgement)
${EDITOR_USAGE}
${TARGET_USAGE}`;

const ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,31}$/;

async function main(): Promise<void> {
  const options = {
    pair: { type: 'string' },
    reason: { type: 'string' },
    as: { type: 'string' },
    ...TARGET_OPTIONS,
    help: { type: 'boolean', short: 'h', default: false },
  } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const ids = (values.pair ?? '').split(',').map((id) => id.trim());
  const [a, b] = ids;
  if (ids.length !== 2 || a === undefined || b === undefined || !ID.test(a) || !ID.test(b) || a === b)
    usage(`--pair must name two different jurisdiction ids, e.g. --pair ZZ0001,ZZ0002\n${USAGE}`);
  if (values.reason !== undefined && (values.reason.trim() === '' || values.reason.length > 2000))
    usage(`--reason must be 1 to 2000 characters\n${USAGE}`);
  const by = editorName(values.as, USAGE);
  const connection = await connect(targetOf(values, USAGE));
  const result = await invokeFunction<DirectAcknowledgeResult>(connection, 'publish', {
    acknowledge: { ids: [a, b], by, ...(values.reason === undefined ? {} : { reason: values.reason }) },
  });
  console.log(
    result.acknowledged === 'new'
      ? `acknowledged ${result.pair}: the same-name check no longer names this pair`
      : `${result.pair} was acknowledged already: nothing changed`,
  );
}

main().catch(failWith);
