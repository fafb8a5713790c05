import { VersioningType } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import {
  createValidationPipe,
  jsonBodyParser,
  rejectMalformedInput,
  REQUEST_ID_HEADER,
  requestContext,
  requestIdFrom,
} from '@bastion/common';
import { AppModule, AppModuleOptions } from '../app.module';
import { MetricsService, ShutdownDrain } from '../health';
import { createRootLogger, logRequests } from './logger-options';
import { serveConsole } from './console-static';
import { buildOpenApiDocument, SWAGGER_UI_OPTIONS } from './openapi';
import { securityHeaders } from './security-headers';

const ONE_MEGABYTE = 1024 * 1024;

/** Builds the whole application, ready to listen; used by main.ts and by the e2e tests. */
export async function createApp(options: AppModuleOptions): Promise<NestFastifyApplication> {
  const logger = createRootLogger(options.config);
  const adapter = new FastifyAdapter({
    bodyLimit: ONE_MEGABYTE,
    // Behind a load balancer, the client IP (rate limits, lockout, audit) comes from its header.
    trustProxy: options.config.http.trustProxy,
    genReqId: requestIdFrom,
    requestIdHeader: false,
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  });
  const fastify = adapter.getInstance();
  // JSON only: any other body type is answered 415 instead of reaching validation as a string.
  fastify.removeContentTypeParser(['text/plain']);
  fastify.addHook('onRequest', (request, reply, done) => {
    void reply.header(REQUEST_ID_HEADER, request.id);
    const userAgent = request.headers['user-agent'];
    requestContext.run(
      { requestId: String(request.id), ip: request.ip, userAgent: userAgent ?? null },
      done,
    );
  });

  const app = await NestFactory.create<NestFastifyApplication>(
    AppModule.forRoot({ ...options, logger }),
    adapter,
    {
      bufferLogs: true,
      // Webhook signatures are checked over the exact bytes received (`request.rawBody`).
      rawBody: true,
      // JSON only, through the parser below: any other body type is answered 415.
      bodyParser: false,
    },
  );
  app.useBodyParser('application/json', { bodyLimit: ONE_MEGABYTE }, jsonBodyParser(fastify));
  app.useLogger(app.get(Logger));
  app.enableVersioning({ type: VersioningType.URI, defaultVersion: '1' });
  // Once for every route, before guards, interceptors and pipes: several of them recurse.
  fastify.addHook('preValidation', rejectMalformedInput);
  app.useGlobalPipes(createValidationPipe());
  const { corsOrigins } = options.config.http;
  if (corsOrigins.length > 0) {
    app.enableCors({
      origin: corsOrigins,
      exposedHeaders: ['ETag', 'X-Request-Id', 'Retry-After'],
    });
  }
  const headers = securityHeaders();
  fastify.addHook('onRequest', (_request, reply, done) => {
    void reply.headers(headers);
    done();
  });
  app.get(MetricsService).instrument(fastify);
  logRequests(fastify, logger);
  app.get(ShutdownDrain).install(fastify);
  serveConsole(fastify);
  SwaggerModule.setup('docs', app, () => buildOpenApiDocument(app), {
    jsonDocumentUrl: 'docs/openapi.json',
    yamlDocumentUrl: 'docs/openapi.yaml',
    swaggerOptions: SWAGGER_UI_OPTIONS,
  });
  await app.init();
  return app;
}
