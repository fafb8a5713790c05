import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { OrdersModule } from '../orders';
import { Payment } from './entities/payment.entity';
import { Refund } from './entities/refund.entity';
import { IdempotencyInterceptor } from './idempotency/idempotency.interceptor';
import { IdempotencyRepository } from './idempotency/idempotency.repository';
import { IdempotencyService } from './idempotency/idempotency.service';
import { PaymentSettlement } from './payment-settlement.service';
import { PaymentsReconciler } from './payments-reconciler.service';
import { PaymentsScheduler } from './payments-scheduler.service';
import { PaymentsController } from './payments.controller';
import { PaymentsRepository } from './payments.repository';
import { PaymentsService } from './payments.service';
import { PaymentProviders } from './providers/payment-providers';
import { RefundsRepository } from './refunds.repository';
import { RefundsService } from './refunds.service';
import { WebhooksController } from './webhooks.controller';
import { WebhookEventsRepository } from './webhook-events.repository';
import { WebhooksService } from './webhooks.service';

@Module({
  imports: [TypeOrmModule.forFeature([Payment, Refund]), OrdersModule],
  controllers: [PaymentsController, WebhooksController],
  providers: [
    IdempotencyInterceptor,
    IdempotencyRepository,
    IdempotencyService,
    PaymentProviders,
    PaymentSettlement,
    PaymentsReconciler,
    PaymentsScheduler,
    PaymentsRepository,
    PaymentsService,
    RefundsRepository,
    RefundsService,
    WebhookEventsRepository,
    WebhooksService,
  ],
  exports: [PaymentsService],
})
export class PaymentsModule {}
