import { Injectable } from '@nestjs/common';
import passport from 'passport';

/**
 * This application's own passport registry. The `passport` module's default instance is one per
 * process: two applications in one process (the multi-instance tests, a cluster's primary during
 * tests) would each register `jwt` over the other's, and one would authenticate against the
 * other's database. The strategies register here instead, once per application.
 */
@Injectable()
export class ApplicationPassport extends passport.Authenticator {}
