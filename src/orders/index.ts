export { OrdersModule } from './orders.module';
export { OrdersRepository } from './orders.repository';
export type { PayableOrder } from './orders.repository';
export { OrderPaymentsService } from './order-payments.service';
export type { PaymentActivity } from './order-payments.service';
export type { OrderDto } from './dto/order.dto';
export { assertTransition, OrderStatus, statusesAllowing } from './order-state';
export { bigintAsNumber, MAX_ORDER_TOTAL } from './money';
export { OrdersService } from './orders.service';
