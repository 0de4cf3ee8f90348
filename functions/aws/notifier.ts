/**
 * Publishes notices to the decisions topic with `MessageStructure: json`, so every
 * subscriber gets its own form: Chatbot the custom notification, e-mail plain text,
 * queues and functions the record. Message attributes let subscriptions filter.
 */
import { type MessageAttributeValue, PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { Notice, Notifier } from '../gate/ports.ts';
import { errorCode } from './aws-errors.ts';
import { type AdapterLogger, quietLogger } from './logger.ts';
import { formatNoticeMessage, noticeAttributes, noticeSubject } from './notice-message.ts';

export class NoticePublishError extends Error {
  override name = 'NoticePublishError';
}

export class SnsNotifier implements Notifier {
  readonly #sns: SNSClient;
  readonly #topicArn: string;
  readonly #logger: AdapterLogger;

  constructor(sns: SNSClient, topicArn: string, options: { logger?: AdapterLogger } = {}) {
    if (!/^arn:aws[a-zA-Z-]*:sns:[a-z0-9-]+:\d{12}:[\w-]{1,256}(\.fifo)?$/.test(topicArn)) {
      throw new NoticePublishError(`topicArn: not an SNS topic ARN: "${topicArn}"`);
    }
    this.#sns = sns;
    this.#topicArn = topicArn;
    this.#logger = options.logger ?? quietLogger;
  }

  async publish(notice: Notice): Promise<void> {
    const attributes: Record<string, MessageAttributeValue> = {};
    for (const [name, value] of Object.entries(noticeAttributes(notice))) {
      attributes[name] = { DataType: 'String', StringValue: value };
    }
    try {
      const out = await this.#sns.send(
        new PublishCommand({
          TopicArn: this.#topicArn,
          MessageStructure: 'json',
          Message: JSON.stringify(formatNoticeMessage(notice)),
          Subject: noticeSubject(notice),
          MessageAttributes: attributes,
        }),
      );
      this.#logger.debug('notice published', { kind: notice.kind, messageId: out.MessageId });
    } catch (error) {
      throw new NoticePublishError(
        `publish to ${this.#topicArn} failed (${errorCode(error) ?? 'unknown error'})`,
        {
          cause: error,
        },
      );
    }
  }
}
