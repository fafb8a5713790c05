import { applyDecorators } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiCreatedResponse,
  ApiForbiddenResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
} from '@nestjs/swagger';
import { etagHeaderDoc } from '@bastion/common';
import { OrderDto } from './dto/order.dto';

export const ETAG_HEADER = etagHeaderDoc('order', '"3"');
export const NOT_FOUND =
  'No order has this id, or it is another customer’s and the caller may only see their own.';
const TRANSITION_CONFLICT = (from: string) =>
  `Illegal state transition (\`/illegal-transition\`): the detail names the current state; only ${from} orders qualify.`;

export const ApiCreateOrder = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Create an order',
      description:
        'Totals are computed by the server in minor units. `customerId` naming someone else needs `orders:create:any`.',
    }),
    ApiCreatedResponse({
      type: OrderDto,
      headers: ETAG_HEADER,
      description: 'The new order, `pending`.',
    }),
    ApiBadRequestResponse({
      description:
        'Invalid field (e.g. `items.0.quantity`), or `customerId` is not an active user.',
    }),
    ApiForbiddenResponse({
      description:
        'No permission to create orders, or `customerId` names another customer without `orders:create:any`.',
    }),
  );

export const ApiUpdateOrder = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Edit a pending order’s items or note',
      description: 'Sending `items` replaces them all and recomputes the totals.',
    }),
    ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order.' }),
    ApiNotFoundResponse({ description: 'No order has this id.' }),
    ApiConflictResponse({
      description:
        'The order is not pending (`/order-not-editable`, naming its state), or `items` change while payments exist (`/order-has-payments`).',
    }),
  );

export const ApiCancelOrder = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Cancel a pending order',
      description: 'Own orders with `orders:cancel:own`, any order with `orders:cancel:any`.',
    }),
    ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order, `cancelled`.' }),
    ApiNotFoundResponse({ description: NOT_FOUND }),
    ApiConflictResponse({
      description: `${TRANSITION_CONFLICT('pending')} Or payments were captured or are in flight (\`/order-has-payments\`).`,
    }),
  );

export const ApiFulfilOrder = () =>
  applyDecorators(
    ApiOperation({ summary: 'Fulfil a paid order' }),
    ApiOkResponse({ type: OrderDto, headers: ETAG_HEADER, description: 'The order, `fulfilled`.' }),
    ApiNotFoundResponse({ description: 'No order has this id.' }),
    ApiConflictResponse({ description: TRANSITION_CONFLICT('paid') }),
  );
