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
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import {
  ApiIdParam,
  ApiIfMatch,
  etagHeaderDoc,
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
import { OrdersService } from './orders.service';

const ETAG_HEADER = etagHeaderDoc('order', '"3"');
const NOT_FOUND =
  'No order has this id, or it is another customer’s and the caller may only see their own.';
const TRANSITION_CONFLICT = (from: string) =>
  `Illegal state transition (\`/illegal-transition\`): the detail names the current state; only ${from} orders qualify.`;

@ApiTags('orders')
@Controller({ path: 'orders', version: '1' })
export class OrdersController {
  constructor(private readonly orders: OrdersService) {}

  @Post()
  @RequirePermissions(Permission.OrdersCreateOwn, Permission.OrdersCreateAny)
  @ApiOperation({
    summary: 'Create an order',
    description:
      'Totals are computed by the server in minor units. `customerId` naming someone else needs `orders:create:any`.',
  })
  @ApiCreatedResponse({
    type: OrderDto,
    headers: ETAG_HEADER,
    description: 'The new order, `pending`.',
  })
  @ApiBadRequestResponse({
    description: 'Invalid field (e.g. `items.0.quantity`), or `customerId` is not an active user.',
  })
  @ApiForbiddenResponse({
    description:
      'No permission to create orders, or `customerId` names another customer without `orders:create:any`.',
  })
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
  @ApiOperation({
    summary: 'Edit a pending order’s items or note',
    description: 'Sending `items` replaces them all and recomputes the totals.',
  })
  @ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order.' })
  @ApiNotFoundResponse({ description: 'No order has this id.' })
  @ApiConflictResponse({
    description:
      'The order is not pending (`/order-not-editable`, naming its state), or `items` change while payments exist (`/order-has-payments`).',
  })
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
  @ApiOperation({
    summary: 'Cancel a pending order',
    description: 'Own orders with `orders:cancel:own`, any order with `orders:cancel:any`.',
  })
  @ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order, `cancelled`.' })
  @ApiNotFoundResponse({ description: NOT_FOUND })
  @ApiConflictResponse({
    description: `${TRANSITION_CONFLICT('pending')} Or payments were captured or are in flight (\`/order-has-payments\`).`,
  })
  @Versioned()
  cancel(@CurrentPrincipal() principal: Principal, @IdParam() id: string): Promise<OrderDto> {
    return this.orders.cancel(principal, id);
  }

  @Post(':id/fulfil')
  @RequirePermissions(Permission.OrdersUpdateAny)
  @HttpCode(HttpStatus.OK)
  @ApiIdParam('order')
  @ApiOperation({ summary: 'Fulfil a paid order' })
  @ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order, `fulfilled`.' })
  @ApiNotFoundResponse({ description: 'No order has this id.' })
  @ApiConflictResponse({ description: TRANSITION_CONFLICT('paid') })
  @Versioned()
  fulfil(@IdParam() id: string): Promise<OrderDto> {
    return this.orders.fulfil(id);
  }
}
