import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as sns from 'aws-cdk-lib/aws-sns';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  METRIC,
  METRICS_NAMESPACE,
  METRICS_SERVICE,
  OUTCOME_METRIC,
} from '../../functions/shared/metrics.ts';
import type { GateFunction } from './gate-function.ts';

const PERIOD = Duration.minutes(5);

export interface GateOperationsProps {
  dashboardName: string;
  opsTopic: sns.ITopic;
  /** By display name: Ingest, Decide, Sweep, RuleChange. */
  functions: Record<string, GateFunction>;
  /** The queue connection events wait in for decide. */
  decideQueue?: sqs.IQueue;
}

/** A connection event older than this in the decide queue means decide is not keeping up. */
export const DECIDE_QUEUE_MAX_AGE = Duration.minutes(5);

/** One of the gate's own metrics (Powertools EMF, dimension `service`). */
export function gateMetric(metricName: string, statistic: string, label?: string): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: METRICS_NAMESPACE,
    metricName,
    dimensionsMap: { service: METRICS_SERVICE },
    statistic,
    period: PERIOD,
    label,
  });
}

/**
 * Alarms (to the ops topic) on anything that means a connection request may be stuck:
 * a failed decision, a message in any dead-letter queue, a function error or throttle.
 * A dashboard with what the gate decided and how fast.
 */
export class GateOperations extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: GateOperationsProps) {
    super(scope, id);
    const alarmAction = new actions.SnsAction(props.opsTopic);
    const alarmOnAny = (alarmId: string, metric: cloudwatch.IMetric, description: string) => {
      const alarm = new cloudwatch.Alarm(this, alarmId, {
        metric,
        threshold: 0,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      alarm.addAlarmAction(alarmAction);
      this.alarms.push(alarm);
    };

    alarmOnAny(
      'FailedDecisions',
      gateMetric(OUTCOME_METRIC.failed, cloudwatch.Stats.SUM),
      'privatelink-gate could not act on a connection request (EC2 or DynamoDB fault, Unsuccessful item). The next sweep retries; see the ledger.',
    );
    alarmOnAny(
      'RulesUnreadable',
      gateMetric(METRIC.rulesUnreadable, cloudwatch.Stats.SUM),
      "privatelink-gate cannot read its rules table: every connection request is held until it can. Check the table, its key and the functions' permissions.",
    );
    const entries = Object.entries(props.functions);
    for (const [name, fn] of entries) {
      alarmOnAny(
        `${name}DeadLetters`,
        fn.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        `privatelink-gate ${name}: events in the dead-letter queue. Inspect, fix, then redrive.`,
      );
      alarmOnAny(
        `${name}Errors`,
        fn.function.metricErrors({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        `privatelink-gate ${name}: the function failed.`,
      );
      alarmOnAny(
        `${name}Throttles`,
        fn.function.metricThrottles({ period: PERIOD, statistic: cloudwatch.Stats.SUM }),
        `privatelink-gate ${name}: invocations were throttled.`,
      );
    }
    if (props.decideQueue) {
      const alarm = new cloudwatch.Alarm(this, 'DecideQueueAge', {
        metric: props.decideQueue.metricApproximateAgeOfOldestMessage({
          period: PERIOD,
          statistic: cloudwatch.Stats.MAXIMUM,
        }),
        threshold: DECIDE_QUEUE_MAX_AGE.toSeconds(),
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
        alarmDescription:
          'privatelink-gate: connection events wait in the decide queue longer than they should; decide is failing, throttled or too slow.',
      });
      alarm.addAlarmAction(alarmAction);
      this.alarms.push(alarm);
    }

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: props.dashboardName,
      defaultInterval: Duration.days(1),
    });
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Decisions per outcome',
        width: 12,
        stacked: true,
        left: Object.values(OUTCOME_METRIC).map((name) => gateMetric(name, cloudwatch.Stats.SUM, name)),
      }),
      new cloudwatch.GraphWidget({
        title: 'Latency from notification to action (ms)',
        width: 12,
        left: [
          gateMetric(METRIC.decisionLatency, cloudwatch.Stats.percentile(50), 'p50'),
          gateMetric(METRIC.decisionLatency, cloudwatch.Stats.percentile(90), 'p90'),
          gateMetric(METRIC.decisionLatency, cloudwatch.Stats.MAXIMUM, 'max'),
        ],
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Held requests (waiting for review)',
        width: 8,
        left: [gateMetric(METRIC.heldRequests, cloudwatch.Stats.MAXIMUM, 'held')],
      }),
      new cloudwatch.GraphWidget({
        title: 'Dead-letter queue depth',
        width: 8,
        left: entries.map(([name, fn]) =>
          fn.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
            period: PERIOD,
            statistic: cloudwatch.Stats.MAXIMUM,
            label: name,
          }),
        ),
      }),
      new cloudwatch.GraphWidget({
        title: 'Function errors and throttles',
        width: 8,
        left: entries.map(([name, fn]) =>
          fn.function.metricErrors({
            period: PERIOD,
            statistic: cloudwatch.Stats.SUM,
            label: `${name} errors`,
          }),
        ),
        right: entries.map(([name, fn]) =>
          fn.function.metricThrottles({
            period: PERIOD,
            statistic: cloudwatch.Stats.SUM,
            label: `${name} throttles`,
          }),
        ),
      }),
    );
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'Stray notifications and invalid rules',
        width: 12,
        left: [
          gateMetric(METRIC.droppedNotifications, cloudwatch.Stats.SUM, 'dropped notifications'),
          gateMetric(METRIC.invalidRules, cloudwatch.Stats.MAXIMUM, 'invalid rules'),
        ],
      }),
    );
  }
}
