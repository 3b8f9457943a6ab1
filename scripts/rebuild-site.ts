/**
 * npm run rebuild-site
 * Renders every page of the published archive again with the current templates (contract §3, §6):
 * each revision's page, each week's latest page and Section II parts, every jurisdiction's page,
 * the index, the home page and the feed. Presentation only: no report.json or declined.csv is
 * written. The publisher does the work (it holds the site's write grant), a few weeks a call, so
 * no call comes near its timeout however long the archive; this command calls it until done.
 */
import { type RebuildResult, rebuildInCalls } from '#core/edition/publication';
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
  npm run rebuild-site [-- --deployed --stage NAME]
    renders every published page again with the current templates; data files are left as they are
${TARGET_USAGE}`;

async function main(): Promise<void> {
  const options = { ...TARGET_OPTIONS, help: { type: 'boolean', short: 'h', default: false } } as const;
  const values = commandOptions(options, USAGE);
  if (values === undefined) return;
  const connection = await connect(targetOf(values, USAGE));
  let weeks = 0;
  let pages = 0;
  await rebuildInCalls(
    (input) => invokeFunction<RebuildResult>(connection, 'publish', input),
    (result) => {
      weeks += result.weeks.length;
      pages += result.pages;
      if (result.weeks.length > 0) {
        console.log(
          `rendered ${result.weeks[0]} to ${result.weeks.at(-1)} (${weeks} weeks, ${pages} pages so far)`,
        );
      }
    },
  );
  console.log(
    weeks === 0
      ? 'no edition is published yet: wrote the empty site (home page, feed, stylesheet, robots.txt, index of jurisdictions, /data/ files with their header rows)'
      : `rebuilt the site: ${weeks} weeks, ${pages} edition pages, their jurisdiction pages, the home page and the feed`,
  );
}

main().catch(failWith);
