import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { Order } from './entities/order.entity';
import { OrderLedger } from './order-ledger.service';
import { OrdersController } from './orders.controller';
import { OrdersService } from './orders.service';
import { OrderViews } from './order-views';

@Module({
  imports: [TypeOrmModule.forFeature([Order])],
  controllers: [OrdersController],
  providers: [OrderLedger, OrderViews, OrdersService],
  exports: [OrderLedger, OrdersService],
})
export class OrdersModule {}
