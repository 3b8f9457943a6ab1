import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { MiddlewareObj } from '@middy/core';
import type { MetricName } from '#core/operations/metrics';

/**
 * The product's one logger and one metrics buffer (Powertools for AWS Lambda): JSON log lines with
 * the request id, the function and the cold start (`injectLambdaContext`), and CloudWatch metrics
 * in the embedded metric format, namespace `ddor`. No other module writes to the console.
 *
 * What is logged is what happened, never to whom: no address, token or detainer id (error texts go
 * through `withoutAddresses` first).
 */
export const SERVICE = 'ddor';
export const METRICS_NAMESPACE = 'ddor';

export const logger = new Logger({ serviceName: SERVICE });
export const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE });

/** Adds `value` to the count `name` of this invocation (published when it ends). */
export function count(name: MetricName, value = 1): void {
  if (value > 0) metrics.addMetric(name, MetricUnit.Count, value);
}

/**
 * The middy middlewares every handler uses: the Lambda context in each log line, and the
 * invocation's counts published when it ends, failed or not (nothing when none was counted).
 */
export function observed<E, R>(): MiddlewareObj<E, R>[] {
  const publish = async (): Promise<void> => {
    if (metrics.hasStoredMetrics()) metrics.publishStoredMetrics();
  };
  return [
    injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj<E, R>,
    { after: publish, onError: publish },
  ];
}
