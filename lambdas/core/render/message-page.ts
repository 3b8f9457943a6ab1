import { messageTemplate } from '#templates/generated/templates';
import { renderTemplate } from './template-engine';

/** A small HTML page for the subscription endpoints: confirmed, unsubscribe button, errors. */
export interface MessagePage {
  title: string;
  message: string;
  /** A POST form with one button, e.g. the unsubscribe confirmation (a GET must change nothing). */
  form?: {
    /** Same-origin path or URL the form posts to (the CSP allows `form-action 'self'` only). */
    action: string;
    button: string;
    /** Hidden fields, e.g. `{ name: 'List-Unsubscribe', value: 'One-Click' }` for RFC 8058. */
    fields?: { name: string; value: string }[];
  };
  /**
   * Path to the site root, for the stylesheet and navigation: these pages are served by functions
   * on the site's own domain, so the root path works from any depth.
   * @default '/'
   */
  siteRoot?: string;
  /** How to reach the publisher, shown in the footer. */
  contactLine?: string;
}

export function renderMessagePage(page: MessagePage): string {
  return renderTemplate(messageTemplate, {
    title: page.title,
    message: page.message,
    form: page.form
      ? { action: page.form.action, button: page.form.button, fields: page.form.fields ?? [] }
      : null,
    siteRoot: page.siteRoot ?? '/',
    contactLine: page.contactLine ?? null,
    synthetic: false,
  });
}
