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
import { AuditWriter } from '../audit/audit-writer.service';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQueryDto } from './dto/list-orders-query.dto';
import { OrderItemInputDto } from './dto/order-item-input.dto';
import { OrderDto, OrderItemDto } from './dto/order.dto';
import { UpdateOrderDto } from './dto/update-order.dto';
import { Order } from './entities/order.entity';
import { priceOrder } from './money';
import { NewOrder, OrderLedger, toOrderItems } from './order-ledger.service';
import { OrderViews } from './order-views';
import { assertTransition, OrderStatus } from './order-state';
import { OrdersErrorCode, OrdersException } from './orders.exception';

@Injectable()
export class OrdersService {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly ledger: OrderLedger,
    private readonly views: OrderViews,
    private readonly audit: AuditWriter,
  ) {}

  /** The new order as JSON text to send, with its version. */
  async create(principal: Principal, dto: CreateOrderDto): Promise<VersionedJson> {
    const customerId = dto.customerId ?? principal.userId;
    // Naming yourself is harmless; naming anyone else is acting for them.
    if (customerId !== principal.userId && !holds(principal, Permission.OrdersCreateAny)) {
      throw new ForbiddenProblem('Creating an order for another customer needs orders:create:any.');
    }
    const order: NewOrder = {
      id: randomUUID(),
      customerId,
      currency: dto.currency,
      note: dto.note ?? null,
      priced: priceOrder(dto.items),
    };
    const insert = (manager: EntityManager) =>
      this.ledger.insertPending(manager, order, {
        action: 'order.created',
        resource: { type: 'order', id: order.id },
        changes: {
          before: null,
          after: auditView({
            ...order,
            status: OrderStatus.Pending,
            items: order.priced.lines,
            total: order.priced.total,
          }),
        },
      });
    // The caller was found active as they authenticated; someone they name is checked here.
    if (dto.customerId === undefined) return insert(this.dataSource.manager);
    return this.dataSource.transaction(async (manager) => {
      await this.assertActiveCustomer(manager, customerId);
      return insert(manager);
    });
  }

  /** One page of the orders the caller may see, as the JSON of a Page<OrderDto>. */
  listJson(principal: Principal, query: ListOrdersQueryDto): Promise<string> {
    return this.views.pageJson(ownershipScope(principal, Permission.OrdersReadAny), query);
  }

  /** The order as JSON text, with its version; 404 unless the caller may see it. */
  async getJson(principal: Principal, id: string): Promise<VersionedJson> {
    const scope = ownershipScope(principal, Permission.OrdersReadAny);
    const order = await this.views.findVisible(id, scope);
    if (!order) throw new NotFoundProblem('Order');
    return order;
  }

  async update(id: string, expected: number, dto: UpdateOrderDto): Promise<OrderDto> {
    return this.dataSource.transaction(async (manager) => {
      const before = await this.views.lock(manager, id);
      if (!before) throw new NotFoundProblem('Order');
      if (before.version !== expected) throw preconditionFailed();
      if (before.status !== OrderStatus.Pending) {
        throw new OrdersException(OrdersErrorCode.NotEditable, { from: before.status });
      }
      const changes: Partial<Pick<Order, 'note' | 'items' | 'subtotal' | 'total'>> = {};
      if (dto.note !== undefined && dto.note !== before.note) changes.note = dto.note;
      const itemsChange = dto.items && !sameItems(before.items, dto.items) ? dto.items : undefined;
      if (itemsChange) {
        if (await this.ledger.hasPaymentActivity(manager, before)) {
          throw new OrdersException(OrdersErrorCode.OrderHasPayments);
        }
        const priced = priceOrder(itemsChange);
        changes.items = toOrderItems(priced.lines);
        changes.subtotal = priced.subtotal;
        changes.total = priced.total;
      }
      if (Object.keys(changes).length === 0) return before;
      await manager.update(Order, { id }, changes);
      const updated = await this.views.get(manager, id);
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
      const order = await this.ledger.lockVisibleOrder(manager, id, { ownerId });
      if (!order) throw new NotFoundProblem('Order');
      assertTransition(order.status, to);
      // Cancelling would strand money that was captured or is being captured.
      if (to === OrderStatus.Cancelled && (await this.ledger.hasPaymentActivity(manager, order))) {
        throw new OrdersException(OrdersErrorCode.OrderHasPayments);
      }
      await manager.update(Order, { id }, { status: to });
      await this.audit.record(manager, {
        action,
        resource: { type: 'order', id },
        changes: { before: { status: order.status }, after: { status: to } },
      });
      return this.views.get(manager, id);
    });
  }

  private async assertActiveCustomer(manager: EntityManager, customerId: string): Promise<void> {
    const rows: unknown[] = await manager.query(
      `SELECT 1 FROM users WHERE id = $1 AND status = 'active'`,
      [customerId],
    );
    if (rows.length === 0) {
      throw new ValidationProblem([{ field: 'customerId', message: 'is not an active user' }]);
    }
  }
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
