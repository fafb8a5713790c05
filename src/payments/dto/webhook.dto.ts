import { ApiProperty } from '@nestjs/swagger';

export type WebhookOutcome = 'applied' | 'ignored' | 'duplicate';

export class WebhookReceiptDto {
  @ApiProperty({ example: 'evt_3f9a1c' })
  eventId!: string;

  @ApiProperty({
    enum: ['applied', 'ignored', 'duplicate'],
    example: 'applied',
    description:
      '`applied`: the event changed a payment. `ignored`: recorded, but it changes nothing (e.g. `payment.failed` after `succeeded`, or an unhandled type). `duplicate`: this event id was received before; nothing happened.',
  })
  outcome!: WebhookOutcome;
}
