/** Rendering of an edition: the page, the email, the home page, the CSV, the feed. No AWS here. */
export { renderFeed } from './atom-feed';
export { sectionIChart, trendChart } from './charts';
export { DECLINED_CSV_COLUMNS, defuseFormula, renderCsv } from './declined-csv';
export { SECTION_TITLES } from './edition-view';
export { EMAIL_ROW_LIMIT, type EmailView, emailSubject, type RenderedEmail, renderEmail } from './email';
export { dateIn, formatDate, formatDateRange, formatNumber, formatShare, plural } from './format';
export {
  archiveOf,
  type EditionSummary,
  type IndexView,
  type RevisionSummary,
  renderIndex,
  summariseRevision,
} from './home-page';
export { type MessagePage, renderMessagePage } from './message-page';
export { type PageView, renderPage, renderRetiredPart, renderSectionIIPart, sectionIIParts } from './page';
export { type SiteAsset, siteAssets } from './site-assets';
