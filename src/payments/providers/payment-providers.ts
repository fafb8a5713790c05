import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '../../config/app-config';
import { PaymentsErrorCode, PaymentsException } from '../payments.exception';
import { PaymentProvider } from './payment-provider';
import { SandboxProvider } from './sandbox.provider';

/** The enabled providers by name; new payments go to the default one. */
@Injectable()
export class PaymentProviders {
  private readonly byName = new Map<string, PaymentProvider>();

  constructor(@InjectDataSource() dataSource: DataSource, config: AppConfig) {
    const { sandbox } = config.payments;
    if (sandbox) {
      const provider = new SandboxProvider(dataSource, sandbox.webhookSecret, sandbox.latencyMs);
      this.byName.set(provider.name, provider);
    }
  }

  /** The provider new payments go to; a 503 when none is enabled. */
  default(): PaymentProvider {
    const [provider] = this.byName.values();
    if (!provider) throw new PaymentsException(PaymentsErrorCode.NoProviderEnabled);
    return provider;
  }

  /** The provider that took a payment, to refund or settle it; a 503 when it is not enabled. */
  ofPayment(name: string): PaymentProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new PaymentsException(PaymentsErrorCode.ProviderNotEnabled, name);
    return provider;
  }

  /** A 404 for a name no enabled provider answers to (e.g. in a webhook URL). */
  get(name: string): PaymentProvider {
    const provider = this.byName.get(name);
    if (!provider) throw new PaymentsException(PaymentsErrorCode.UnknownProvider);
    return provider;
  }
}
