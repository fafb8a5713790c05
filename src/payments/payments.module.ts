import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrdersModule } from '../orders/orders.module';
import { Payment } from './entities/payment.entity';
import { Refund } from './entities/refund.entity';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyService } from './idempotency/idempotency.service';
import { PaymentSettlement } from './payment-settlement.service';
import { PaymentsReconciler } from './payments-reconciler.service';
import { PaymentsScheduler } from './payments-scheduler.service';
import { PaymentsController } from './payments.controller';
import { PaymentsService } from './payments.service';
import { PaymentProviders } from './providers/payment-providers';
import { RefundsService } from './refunds.service';
import { WebhooksController } from './webhooks.controller';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [TypeOrmModule.forFeature([Payment, Refund]), OrdersModule],
  controllers: [PaymentsController, WebhooksController],
  providers: [
    IdempotencyInterceptor,
    IdempotencyService,
    PaymentProviders,
    PaymentSettlement,
    PaymentsReconciler,
    PaymentsScheduler,
    PaymentsService,
    RefundsService,
    WebhooksService,
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
