import { ValidationError, ValidationPipe } from '@nestjs/common';
import { FieldError, ValidationProblem } from '../problem/problem';

function messageFor(constraint: string, message: string, property: string): string {
  if (constraint === 'whitelistValidation') return 'is not an accepted field';
  // class-validator prefixes messages with the property name; the entry names the field already.
  return message.startsWith(`${property} `) ? message.slice(property.length + 1) : message;
}

/** Flattens nested class-validator errors into one entry per bad field with a dotted path. */
export function flattenValidationErrors(errors: ValidationError[], parent = ''): FieldError[] {
  return errors.flatMap((error) => {
    const field = parent ? `${parent}.${error.property}` : error.property;
    const messages = Object.entries(error.constraints ?? {}).map(([constraint, message]) =>
      messageFor(constraint, message, error.property),
    );
    const own = messages.length > 0 ? [{ field, message: messages.join('; ') }] : [];
    return [...own, ...flattenValidationErrors(error.children ?? [], field)];
  });
}

export function createValidationPipe(): ValidationPipe {
  return new ValidationPipe({
    whitelist: true,
    forbidNonWhitelisted: true,
    forbidUnknownValues: true,
    transform: true,
    validationError: { target: false, value: false },
    exceptionFactory: (errors) => new ValidationProblem(flattenValidationErrors(errors)),
  });
}
