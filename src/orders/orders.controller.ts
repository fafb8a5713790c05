import {
  Body,
  Controller,
  Get,
  Header,
  HttpCode,
  HttpStatus,
  Patch,
  Post,
  Query,
} from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiIdParam,
  ApiIfMatch,
  IdParam,
  IfMatch,
  Versioned,
  VersionedJson,
} from '@bastion/common';
import { CurrentPrincipal, Permission, RequirePermissions } from '@bastion/rbac';
import type { Principal } from '@bastion/rbac';
import { CreateOrderDto } from './dto/create-order.dto';
import { ListOrdersQueryDto } from './dto/list-orders-query.dto';
import { OrderDto, OrderPageDto } from './dto/order.dto';
import { UpdateOrderDto } from './dto/update-order.dto';
import {
  ApiCancelOrder,
  ApiCreateOrder,
  ApiFulfilOrder,
  ApiUpdateOrder,
  ETAG_HEADER,
  NOT_FOUND,
} from './orders.openapi';
import { OrdersService } from './orders.service';

@ApiTags('orders')
@Controller({ path: 'orders', version: '1' })
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @RequirePermissions(Permission.OrdersCreateOwn, Permission.OrdersCreateAny)
  @ApiCreateOrder()
  @Versioned()
  create(
    @CurrentPrincipal() principal: Principal,
    @Body() dto: CreateOrderDto,
  ): Promise<VersionedJson> {
    return this.orders.create(principal, dto);
  }

  @Get()
  @RequirePermissions(Permission.OrdersReadOwn, Permission.OrdersReadAny)
  @ApiOperation({
    summary: 'List orders, newest first, filtered by status, customer or creation time',
    description: 'Without `orders:read:any` only the caller’s own orders are listed.',
  })
  @ApiOkResponse({ type: OrderPageDto, description: 'One page of orders.' })
  @ApiBadRequestResponse({ description: 'Bad `limit`, `cursor`, filter or unknown parameter.' })
  // The page comes as JSON text from PostgreSQL and is sent as it is.
  @Header('Content-Type', 'application/json; charset=utf-8')
  list(
    @CurrentPrincipal() principal: Principal,
    @Query() query: ListOrdersQueryDto,
  ): Promise<string> {
    return this.orders.listJson(principal, query);
  }

  @Get(':id')
  @RequirePermissions(Permission.OrdersReadOwn, Permission.OrdersReadAny)
  @ApiIdParam('order')
  @ApiOperation({ summary: 'Get an order' })
  @ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @Versioned()
  get(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<VersionedJson> {
    return this.orders.getJson(principal, id);
  }

  @Patch(':id')
  @RequirePermissions(Permission.OrdersUpdateAny)
  @ApiIdParam('order')
  @ApiIfMatch('order', '"3"')
  @ApiUpdateOrder()
  @Versioned()
  update(
    @IdParam() id: string,
    @IfMatch() version: number,
    @Body() dto: UpdateOrderDto,
  ): Promise<OrderDto> {
    return this.orders.update(id, version, dto);
  }

  @Post(':id/cancel')
  @RequirePermissions(Permission.OrdersCancelOwn, Permission.OrdersCancelAny)
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('order')
  @ApiCancelOrder()
  @Versioned()
  cancel(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<OrderDto> {
    return this.orders.cancel(principal, id);
  }

  @Post(':id/fulfil')
  @RequirePermissions(Permission.OrdersUpdateAny)
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('order')
  @ApiFulfilOrder()
  @Versioned()
  fulfil(@IdParam() id: string): Promise<OrderDto> {
    return this.orders.fulfil(id);
  }
}
