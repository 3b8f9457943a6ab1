import { isIP } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { ORIGIN_HEADER } from '#http/origin';

/** CloudFront's header with the viewer's address and source port (contract §5's source). */
export const VIEWER_ADDRESS_HEADER = 'cloudfront-viewer-address';

export interface CloudFrontRequestOptions {
  /** The origin secret's value: what CloudFront adds as `x-origin-verify`. */
  readonly originSecret: string;
  /**
   * LOCAL_SOURCE_HEADER (contract §1): a request header that names the viewer's address, so tests
   * can be many sources; ignored unless set. Otherwise the TCP peer is the viewer.
   */
  readonly sourceHeader?: string;
}

/**
 * What the site's CloudFront does to a request for the subscriptions API before it reaches the
 * origin (lib/constructs/site.ts): it overwrites whatever the client sent as the viewer address
 * or the origin header, sets the viewer address from the connection, and adds the origin secret.
 */
export function cloudFrontRequest(
  options: CloudFrontRequestOptions,
): (event: APIGatewayProxyEventV2) => APIGatewayProxyEventV2 {
  const sourceHeader = options.sourceHeader?.toLowerCase();
  return (event) => {
    const {
      [VIEWER_ADDRESS_HEADER]: _viewer,
      [ORIGIN_HEADER]: _origin,
      ...headers
    } = event.headers as Record<string, string>;
    const named = sourceHeader === undefined ? undefined : headers[sourceHeader]?.trim();
    const viewer = named !== undefined && isIP(named) !== 0 ? named : event.requestContext.http.sourceIp;
    return {
      ...event,
      headers: { ...headers, [VIEWER_ADDRESS_HEADER]: `${viewer}:0`, [ORIGIN_HEADER]: options.originSecret },
    };
  };
}
