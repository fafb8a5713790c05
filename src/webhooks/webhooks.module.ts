import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuthModule } from '../auth';
import { OrdersModule } from '../orders';
import { PaymentsModule } from '../payments';
import { UsersModule } from '../users';
import { DeliveryWorker } from './delivery-worker.service';
import { WebhookDelivery } from './entities/webhook-delivery.entity';
import { WebhookEndpoint } from './entities/webhook-endpoint.entity';
import { ResourceReader } from './resource-reader';
import { WebhookClock } from './webhook-clock';
import { WebhookDeliveriesController } from './webhook-deliveries.controller';
import { WebhookDeliveriesService } from './webhook-deliveries.service';
import { WebhookDispatcher } from './webhook-dispatcher.service';
import { WebhookEndpointsController } from './webhook-endpoints.controller';
import { WebhookEndpointsService } from './webhook-endpoints.service';
import { WebhookEventTypesController } from './webhook-event-types.controller';

/** Event subscriptions: endpoints, and deliveries derived from the sealed audit chain. */
@Module({
  imports: [
    TypeOrmModule.forFeature([WebhookEndpoint, WebhookDelivery]),
    AuthModule,
    OrdersModule,
    PaymentsModule,
    UsersModule,
  ],
  controllers: [
    WebhookEndpointsController,
    WebhookDeliveriesController,
    WebhookEventTypesController,
  ],
  providers: [
    DeliveryWorker,
    ResourceReader,
    WebhookClock,
    WebhookDeliveriesService,
    WebhookDispatcher,
    WebhookEndpointsService,
  ],
  exports: [WebhookClock, WebhookDispatcher, DeliveryWorker],
})
export class WebhooksModule {}
