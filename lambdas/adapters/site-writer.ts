import type { Edition } from '#core/edition/model';
import type { SiteWriter } from '#core/edition/ports';
import { CACHE_IMMUTABLE, CACHE_SHORT, CONTENT_TYPES, revisionPrefix } from '#core/edition/site-layout';
import { ObjectStore } from './object-store';

/** The hosted site in S3 (served by CloudFront, or by the local gateway). */
export class S3SiteWriter implements SiteWriter {
  private readonly store: ObjectStore;

  constructor(bucket: string) {
    this.store = new ObjectStore(bucket);
  }

  async putFile(
    key: string,
    body: string,
    kind: keyof typeof CONTENT_TYPES,
    cache: 'immutable' | 'short',
  ): Promise<void> {
    await this.store.put({
      key,
      body,
      contentType: CONTENT_TYPES[kind],
      cacheControl: cache === 'immutable' ? CACHE_IMMUTABLE : CACHE_SHORT,
    });
  }

  async readEdition(week: string, revision: number): Promise<Edition | undefined> {
    const text = await this.store.getText(`${revisionPrefix(week, revision)}report.json`);
    return text === undefined ? undefined : (JSON.parse(text) as Edition);
  }

  async readText(key: string): Promise<string | undefined> {
    return this.store.getText(key);
  }

  listKeys(prefix: string): Promise<string[]> {
    return this.store.listKeys(prefix);
  }

  async getText(key: string): Promise<string | undefined> {
    return this.store.getText(key);
  }
}
