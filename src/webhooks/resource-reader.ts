import { Injectable } from '@nestjs/common';
import { NotFoundProblem } from '@bastion/common';
import { Permission, Principal } from '@bastion/rbac';
import { OrdersService } from '../orders';
import { PaymentsService } from '../payments';
import { UsersService } from '../users';

/**
 * Who reads resources for deliveries: the services' own read paths, so that a delivery shows a
 * resource exactly as the API does. Subscribers are trusted internal apps (`webhooks:manage` set
 * them up), so it reads any order, payment and user.
 */
const DISPATCHER: Principal = {
  type: 'api_key',
  id: 'webhook-dispatcher',
  userId: '00000000-0000-0000-0000-000000000000',
  display: 'webhook dispatcher',
  roles: [],
  permissions: new Set([
    Permission.OrdersReadAny,
    Permission.PaymentsReadAny,
    Permission.UsersRead,
  ]),
};

export interface EventResource {
  type: string;
  id: string | null;
  metadata: Record<string, unknown>;
}

/** The resource an event is about, as the API shows it now; null when it no longer exists. */
@Injectable()
export class ResourceReader {
  constructor(
    private readonly orders: OrdersService,
    private readonly payments: PaymentsService,
    private readonly users: UsersService,
  ) {}

  async read(resource: EventResource): Promise<unknown> {
    if (resource.id === null) return null;
    try {
      switch (resource.type) {
        case 'order':
          return JSON.parse((await this.orders.getJson(DISPATCHER, resource.id)).json) as unknown;
        case 'payment':
          return await this.payments.get(DISPATCHER, resource.id);
        // A refund is shown inside its payment (`refunds`), as the API shows it.
        case 'refund':
          return typeof resource.metadata.paymentId === 'string'
            ? await this.payments.get(DISPATCHER, resource.metadata.paymentId)
            : null;
        case 'user':
          return await this.users.get(DISPATCHER, resource.id);
        default:
          return null;
      }
    } catch (error) {
      if (error instanceof NotFoundProblem) return null;
      throw error;
    }
  }
}
