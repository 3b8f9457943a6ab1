import type { Edition } from '#core/edition/model';
import { emailTemplate, emailTextTemplate } from '#templates/generated/templates';
import { correctionsNotice, type EditionView, editionView, REPORT_NAME, releaseView } from './edition-view';
import { plural } from './format';
import { requireHttpUrl, siteRootUrl } from './links';
import { renderTemplate } from './template-engine';

/** What the edition email needs besides the edition (URLs are absolute: mail is read off the site). */
export interface EmailView {
  /** The hosted edition page the button leads to. */
  reportUrl: string;
  /** This subscriber's unsubscribe page (a GET that shows a button; see CONTRACT.md section 5). */
  unsubscribeUrl: string;
  /** The sender's postal address or other contact line, required in bulk mail. */
  contactLine: string;
  /** The site's root URL: the archive and the "why you get this" line. */
  siteUrl: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

/**
 * Section II rows in the email up to this many declines; above it, counts per state and a link.
 * Keeps a week of thousands of declines far below Gmail's 102 KB clipping point.
 */
export const EMAIL_ROW_LIMIT = 25;

interface EmailModel extends EditionView {
  subject: string;
  preheader: string;
  reportUrl: string;
  unsubscribeUrl: string;
  contactLine: string;
  siteUrl: string;
  correctionsNotice: { revision: number; publishedOn: string; changes: string } | null;
  correctionsLogHref: string;
  sectionIIRows: boolean;
}

/** "Declined Detainer Outcome Report — week of Jan 28 – Feb 3, 2017", plus " (corrections)" when it carries any. */
export function emailSubject(edition: Edition): string {
  const corrected = edition.corrections.length > 0 || edition.earlierCorrections.length > 0;
  return `${REPORT_NAME} — week of ${releaseView(edition).weekShort}${corrected ? ' (corrections)' : ''}`;
}

function emailModel(edition: Edition, view: EmailView): EmailModel {
  const reportUrl = requireHttpUrl('reportUrl', view.reportUrl);
  const shared = editionView(edition, view.siteUrl);
  return {
    ...shared,
    subject: emailSubject(edition),
    preheader:
      `${edition.synthetic ? 'Synthetic data. ' : ''}` +
      `${plural(edition.headline.issued, 'detainer', 'detainers')} issued and ` +
      `${plural(edition.headline.declined, 'decline', 'declines')} recorded in the week of ${shared.release.weekShort}.`,
    reportUrl,
    unsubscribeUrl: requireHttpUrl('unsubscribeUrl', view.unsubscribeUrl),
    contactLine: view.contactLine,
    siteUrl: siteRootUrl(view.siteUrl),
    correctionsNotice: correctionsNotice(edition, shared.release.publishedOn),
    correctionsLogHref: `${reportUrl.split('#')[0]}#corrections-log`,
    sectionIIRows: shared.sectionII.total <= EMAIL_ROW_LIMIT,
  };
}

/**
 * The edition email: subject, HTML (table layout, its CSS inlined when the template was compiled,
 * scripts/compile-templates.ts, for mail clients that drop `<style>`) and the plain-text part
 * saying the same. No images, so it reads the same with images off.
 */
export function renderEmail(edition: Edition, view: EmailView): RenderedEmail {
  const model = emailModel(edition, view);
  return {
    subject: model.subject,
    html: renderTemplate(emailTemplate, model),
    text: renderTemplate(emailTextTemplate, model),
  };
}
