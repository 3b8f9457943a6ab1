import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/**
 * The one DynamoDB client, created once per container. The local stack differs only by the
 * standard `AWS_ENDPOINT_URL_DYNAMODB` variable, never by code path.
 */
export const dynamo = new DynamoDBClient({});

export const documents = DynamoDBDocumentClient.from(dynamo, {
  marshallOptions: { removeUndefinedValues: true },
});
