export { HealthModule } from './health.module';
export { MetricsService } from './metrics.service';
export { ShutdownDrain } from './shutdown-drain.service';
