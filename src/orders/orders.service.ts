import { randomUUID } from 'node:crypto';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import {
  ForbiddenProblem,
  NotFoundProblem,
  preconditionFailed,
  ValidationProblem,
  VersionedJson,
} from '@bastion/common';
import { holds, ownershipScope, Permission, Principal } from '@bastion/rbac';
import { AuditWriter } from '../audit';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQueryDto } from './dto/list-orders-query.dto';
import { OrderItemInputDto } from './dto/order-item-input.dto';
import { OrderDto, OrderItemDto } from './dto/order.dto';
import { UpdateOrderDto } from './dto/update-order.dto';
import { priceOrder, PricedOrder } from './money';
import { OrderPaymentsService } from './order-payments.service';
import { assertTransition, OrderStatus } from './order-state';
import { OrderChanges, OrdersRepository } from './orders.repository';
import { OrdersErrorCode, OrdersException } from './orders.exception';

@Injectable()
export class OrdersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly orders: OrdersRepository,
    private readonly payments: OrderPaymentsService,
    private readonly audit: AuditWriter,
  ) {}

  /** The new order as JSON text to send, with its version. */
  async create(principal: Principal, dto: CreateOrderDto): Promise<VersionedJson> {
    const customerId = dto.customerId ?? principal.userId;
    // Naming yourself is harmless; naming anyone else is acting for them.
    if (customerId !== principal.userId && !holds(principal, Permission.OrdersCreateAny)) {
      throw new ForbiddenProblem('Creating an order for another customer needs orders:create:any.');
    }
    const id = randomUUID();
    const note = dto.note ?? null;
    const priced = priceOrder(dto.items);
    const event = {
      action: 'order.created',
      resource: { type: 'order', id },
      changes: {
        before: null,
        after: auditView({
          customerId,
          status: OrderStatus.Pending,
          currency: dto.currency,
          items: priced.lines,
          total: priced.total,
          note,
        }),
      },
    };
    const row = {
      id,
      customer_id: customerId,
      currency: dto.currency,
      subtotal: priced.subtotal,
      total: priced.total,
      note,
      items: toOrderItems(priced.lines),
    };
    const insert = (manager: EntityManager) =>
      this.orders.insertPending(manager, row, (params) => this.audit.insertSql(params, event));
    // The caller was found active as they authenticated; someone they name is checked here.
    if (dto.customerId === undefined) return insert(this.dataSource.manager);
    return this.dataSource.transaction(async (manager) => {
      await this.assertActiveCustomer(manager, customerId);
      return insert(manager);
    });
  }

  /** One page of the orders the caller may see, as the JSON of a Page<OrderDto>. */
  listJson(principal: Principal, query: ListOrdersQueryDto): Promise<string> {
    return this.orders.pageJson(ownershipScope(principal, Permission.OrdersReadAny), query);
  }

  /** The order as JSON text, with its version; 404 unless the caller may see it. */
  async getJson(principal: Principal, id: string): Promise<VersionedJson> {
    const scope = ownershipScope(principal, Permission.OrdersReadAny);
    const order = await this.orders.findVisible(id, scope);
    if (!order) throw new NotFoundProblem('Order');
    return order;
  }

  async update(id: string, expected: number, dto: UpdateOrderDto): Promise<OrderDto> {
    return this.dataSource.transaction(async (manager) => {
      const before = await this.orders.lock(manager, id);
      if (!before) throw new NotFoundProblem('Order');
      if (before.version !== expected) throw preconditionFailed();
      if (before.status !== OrderStatus.Pending) {
        throw new OrdersException(OrdersErrorCode.NotEditable, { from: before.status });
      }
      const changes: OrderChanges = {};
      if (dto.note !== undefined && dto.note !== before.note) changes.note = dto.note;
      const itemsChange = dto.items && !sameItems(before.items, dto.items) ? dto.items : undefined;
      if (itemsChange) {
        if (await this.payments.hasPaymentActivity(manager, before)) {
          throw new OrdersException(OrdersErrorCode.OrderHasPayments);
        }
        const priced = priceOrder(itemsChange);
        changes.items = toOrderItems(priced.lines);
        changes.subtotal = priced.subtotal;
        changes.total = priced.total;
      }
      if (Object.keys(changes).length === 0) return before;
      await this.orders.update(manager, id, changes);
      const updated = await this.orders.get(manager, id);
      await this.audit.record(manager, {
        action: 'order.updated',
        resource: { type: 'order', id },
        changes: { before: auditView(before), after: auditView(updated) },
      });
      return updated;
    });
  }

  async cancel(principal: Principal, id: string): Promise<OrderDto> {
    const scope = ownershipScope(principal, Permission.OrdersCancelAny);
    return this.changeStatus(id, scope.ownerId, OrderStatus.Cancelled, 'order.cancelled');
  }

  async fulfil(id: string): Promise<OrderDto> {
    return this.changeStatus(id, null, OrderStatus.Fulfilled, 'order.fulfilled');
  }

  private async changeStatus(
    id: string,
    ownerId: string | null,
    to: OrderStatus,
    action: string,
  ): Promise<OrderDto> {
    return this.dataSource.transaction(async (manager) => {
      const order = await this.orders.lock(manager, id, { ownerId });
      if (!order) throw new NotFoundProblem('Order');
      assertTransition(order.status, to);
      // Cancelling would strand money that was captured or is being captured.
      if (
        to === OrderStatus.Cancelled &&
        (await this.payments.hasPaymentActivity(manager, order))
      ) {
        throw new OrdersException(OrdersErrorCode.OrderHasPayments);
      }
      await this.orders.update(manager, id, { status: to });
      await this.audit.record(manager, {
        action,
        resource: { type: 'order', id },
        changes: { before: { status: order.status }, after: { status: to } },
      });
      return this.orders.get(manager, id);
    });
  }

  private async assertActiveCustomer(manager: EntityManager, customerId: string): Promise<void> {
    if (!(await this.orders.isActiveCustomer(manager, customerId))) {
      throw new ValidationProblem([{ field: 'customerId', message: 'is not an active user' }]);
    }
  }
}

/** Priced lines as the order's items, each under a new id. */
function toOrderItems(lines: PricedOrder<OrderItemInputDto>['lines']): OrderItemDto[] {
  return lines.map(({ sku, name, quantity, unitPrice, lineTotal }) => ({
    id: randomUUID(),
    sku,
    name,
    quantity,
    unitPrice,
    lineTotal,
  }));
}

function sameItems(current: OrderItemDto[], wanted: OrderItemInputDto[]): boolean {
  const shape = (item: OrderItemInputDto) => [item.sku, item.name, item.quantity, item.unitPrice];
  return JSON.stringify(current.map(shape)) === JSON.stringify(wanted.map(shape));
}

/** What an order's audit events record of it; `items` need only what identifies and prices them. */
type AuditedOrder = Pick<OrderDto, 'customerId' | 'status' | 'currency' | 'total' | 'note'> & {
  items: Pick<OrderItemDto, 'sku' | 'quantity' | 'unitPrice'>[];
};

function auditView(order: AuditedOrder): Record<string, unknown> {
  return {
    customerId: order.customerId,
    status: order.status,
    currency: order.currency,
    items: order.items.map(({ sku, quantity, unitPrice }) => ({ sku, quantity, unitPrice })),
    total: order.total,
    note: order.note,
  };
}
