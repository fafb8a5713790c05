import { HttpStatus } from '@nestjs/common';
import { ProblemException } from '@bastion/common';

export enum OrdersErrorCode {
  IllegalTransition = 'illegal-transition',
  OrderHasPayments = 'order-has-payments',
  NotEditable = 'order-not-editable',
}

interface OrdersErrorShape {
  status: HttpStatus;
  title: string;
  detail: string;
}

/** The order's status, and for a transition the status it was asked to take. */
export interface TransitionDetail {
  from: string;
  to?: string;
}

function describe(code: OrdersErrorCode, transition?: TransitionDetail): OrdersErrorShape {
  switch (code) {
    case OrdersErrorCode.IllegalTransition:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Illegal state transition',
        detail: `The order is ${transition?.from}; it cannot become ${transition?.to}.`,
      };
    case OrdersErrorCode.OrderHasPayments:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Order has payments',
        detail:
          'The order has captured or in-flight payments; its items cannot change and it cannot be cancelled.',
      };
    case OrdersErrorCode.NotEditable:
      return {
        status: HttpStatus.CONFLICT,
        title: 'Order not editable',
        detail: `The order is ${transition?.from}; only pending orders can be edited.`,
      };
  }
}

export class OrdersException extends ProblemException {
  constructor(
    readonly code: OrdersErrorCode,
    transition?: TransitionDetail,
  ) {
    super({ ...describe(code, transition), slug: code });
  }
}
