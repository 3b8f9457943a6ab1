import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { AppConfig } from './config';
import { IntakeApi } from './constructs/intake-api';
import type { DataTables } from './stateful-stack';

export interface StatelessStackProps extends StackProps {
  readonly config: AppConfig;
  /** The tables from the stateful stack. */
  readonly tables: DataTables;
}

/**
 * What can be replaced at will: functions, the API and, later, the schedule, site and mailer.
 * It holds no data; everything it needs from the stateful stack comes in through its props.
 */
export class StatelessStack extends Stack {
  readonly intake: IntakeApi;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { config, tables } = props;

    this.intake = new IntakeApi(this, 'Intake', {
      tables,
      reportTimeZone: config.reportTimeZone,
      rateLimit: config.throttling.rateLimit,
      burstLimit: config.throttling.burstLimit,
      logRetention: config.logRetention,
    });
  }
}
