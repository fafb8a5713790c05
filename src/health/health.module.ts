import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { AuthModule } from '../auth';
import { HealthController } from './health.controller';
import { MetricsService } from './metrics.service';
import { ShutdownDrain } from './shutdown-drain.service';

@Global()
@Module({
  imports: [TerminusModule, AuthModule],
  controllers: [HealthController],
  providers: [MetricsService, ShutdownDrain],
  exports: [MetricsService, ShutdownDrain],
})
export class HealthModule {}
