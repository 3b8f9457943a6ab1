import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { PayloadTooLargeError } from '#core/errors';
import { requestHeader } from './json-body';

/** Forms are small: an address, a button. */
export const MAX_FORM_BYTES = 16 * 1024;

/** The media type of the body, lower-case and without parameters. */
export function mediaType(event: APIGatewayProxyEventV2): string | undefined {
  return requestHeader(event, 'content-type')?.split(';')[0]?.trim().toLowerCase();
}

export function isFormPost(event: APIGatewayProxyEventV2): boolean {
  return mediaType(event) === 'application/x-www-form-urlencoded';
}

/** An `application/x-www-form-urlencoded` body (HTML forms; RFC 8058's one-click POST). */
export function parseForm(event: APIGatewayProxyEventV2): URLSearchParams {
  const body =
    event.body === undefined || event.body === null
      ? ''
      : event.isBase64Encoded
        ? Buffer.from(event.body, 'base64').toString('utf8')
        : event.body;
  if (Buffer.byteLength(body, 'utf8') > MAX_FORM_BYTES) throw new PayloadTooLargeError(MAX_FORM_BYTES);
  return new URLSearchParams(body);
}
