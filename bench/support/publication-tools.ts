/**
 * What a publication's work needs, built as the publisher builds it: the week reader, the
 * assembly, the renderer and the stored email. Imported only when called: the adapters' clients
 * read the environment (endpoint, tables) when first used, so the caller sets it first.
 */
export async function publicationTools() {
  const [{ DynamoWeekReader }, { assembleEdition }, { reportTimeZone }, schedule, publisher, links] =
    await Promise.all([
      import('#adapters/week-reader'),
      import('#core/edition/assembly'),
      import('#config/env'),
      import('#config/schedule'),
      import('#lambdas/edition/publish/publisher'),
      import('#core/subscriptions/links'),
    ]);
  const reader = new DynamoWeekReader();
  const timeZone = reportTimeZone();
  const config = publisher.publisherConfigFromEnv();
  const renderer = publisher.editionRenderer(config, timeZone);
  const assemble = (data: Parameters<typeof assembleEdition>[0]) => {
    const now = new Date();
    return assembleEdition(data, {
      revision: 1,
      publishedAt: now.toISOString(),
      timeZone,
      synthetic: true,
      nextEditionOn: schedule.nextEditionOn(schedule.scheduleFor(timeZone), now),
      openDisputes: { count: 0 },
      corrections: [],
      earlierCorrections: [],
      correctionsSinceLastEdition: 0,
    });
  };
  /** Everything a publication of `week` renders and writes: both pages and their parts, CSV, JSON, the email. */
  const publish = async (week: string): Promise<number> => {
    const { data } = await reader.read(week);
    const built = assemble(data);
    const files = [
      renderer.page(built, { location: 'revision' }),
      ...renderer.sectionIIPages(built, { location: 'revision' }),
      renderer.page(built, { location: 'latest' }),
      ...renderer.sectionIIPages(built, { location: 'latest' }),
      renderer.csv(built),
      renderer.json(built),
      publisher.renderStoredEmail(built, config).html,
    ];
    return files.reduce((sum, file) => sum + file.length, 0);
  };
  return { reader, timeZone, config, renderer, assemble, publisher, links, publish };
}

/** Peak RSS while `work` runs, sampled every 10 ms, after a collection (run with --expose-gc when it can). */
export async function peakMemory(
  work: () => Promise<unknown>,
): Promise<{ peakRss: number; baseRss: number }> {
  (globalThis as { gc?: () => void }).gc?.();
  const baseRss = process.memoryUsage().rss;
  let peakRss = baseRss;
  const timer = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 10);
  try {
    await work();
  } finally {
    clearInterval(timer);
  }
  return { peakRss: Math.max(peakRss, process.memoryUsage().rss), baseRss };
}
