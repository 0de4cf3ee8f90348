/**
 * Confirms a spoke topic's subscription to the hub's queue: SNS sends the queue a
 * SubscriptionConfirmation, which the queue's owner confirms with the token, in the topic's
 * region (the call goes to the topic's SNS; the hub's own credentials may confirm it).
 */
import { ConfirmSubscriptionCommand, SNSClient } from '@aws-sdk/client-sns';
import { clientConfig } from './client-config.ts';

export class SpokeSubscriptions {
  readonly #clients = new Map<string, SNSClient>();
  readonly #snsFor: (region: string) => SNSClient;

  constructor(snsFor?: (region: string) => SNSClient) {
    this.#snsFor = snsFor ?? ((region) => new SNSClient(clientConfig({ region })));
  }

  async confirm(topicArn: string, region: string, token: string): Promise<string | undefined> {
    let sns = this.#clients.get(region);
    if (sns === undefined) {
      sns = this.#snsFor(region);
      this.#clients.set(region, sns);
    }
    const out = await sns.send(new ConfirmSubscriptionCommand({ TopicArn: topicArn, Token: token }));
    return out.SubscriptionArn;
  }
}
