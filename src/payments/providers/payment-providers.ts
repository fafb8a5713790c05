import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { PaymentsErrorCode, PaymentsException } from '../payments.exception';
import { PaymentProvider } from './payment-provider';
import { SANDBOX_PROVIDER, SandboxProvider } from './sandbox.provider';

/** The configured providers by name; new payments go to the default one. */
@Injectable()
export class PaymentProviders {
  private readonly byName: Map<string, PaymentProvider>;

  constructor(@InjectDataSource() dataSource: DataSource, config: AppConfig) {
    const sandbox = new SandboxProvider(dataSource, config.payments.sandboxWebhookSecret);
    this.byName = new Map([[sandbox.name, sandbox]]);
  }

  default(): PaymentProvider {
    return this.get(SANDBOX_PROVIDER);
  }

  /** A 404 for a name no provider answers to (e.g. in a webhook URL). */
  get(name: string): PaymentProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new PaymentsException(PaymentsErrorCode.UnknownProvider);
    return provider;
  }
}
