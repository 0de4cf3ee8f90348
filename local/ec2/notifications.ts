import type { NotificationDelivery } from './model.ts';

/**
 * The SNS message body of a connection notification. AWS does not document the
 * body it sends; this one carries the ids, the event and the state, which is all
 * a consumer of notifications should rely on (DESIGN §1).
 */
export function connectionNotificationMessage(delivery: NotificationDelivery, time: Date): string {
  const { notification, event, endpoint, service } = delivery;
  return JSON.stringify({
    ServiceId: service.id,
    ServiceName: service.name,
    VpcEndpointId: endpoint.id,
    VpcEndpointOwner: endpoint.account,
    VpcEndpointState: endpoint.state,
    VpcEndpointRegion: endpoint.region,
    ConnectionEvent: event,
    ConnectionNotificationId: notification.id,
    ConnectionNotificationArn: notification.topicArn,
    Time: time.toISOString(),
  });
}
