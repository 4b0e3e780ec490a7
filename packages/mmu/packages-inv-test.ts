import 'reflect-metadata';
import { Container, inject, injectable } from 'inversify';
const T = Symbol('T');
@injectable()
abstract class Base { constructor(@inject(T) readonly t: string) {} abstract x(): string }
@injectable()
class Derived extends Base { x() { return this.t } }
const c = new Container();
c.bind(T).toConstantValue('hello');
c.bind(Derived).toSelf();
console.log(c.get(Derived).x());
