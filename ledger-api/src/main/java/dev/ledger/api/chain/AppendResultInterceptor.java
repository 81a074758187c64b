package dev.ledger.api.chain;

import dev.ledger.core.tenant.AppendEntries;
import dev.ledger.core.tenant.AppendOutcome;
import java.util.List;
import java.util.Map;
import org.axonframework.commandhandling.CommandBus;
import org.axonframework.commandhandling.CommandMessage;
import org.axonframework.messaging.InterceptorChain;
import org.axonframework.messaging.MessageHandlerInterceptor;
import org.axonframework.messaging.unitofwork.UnitOfWork;
import org.springframework.beans.factory.SmartInitializingSingleton;
import org.springframework.stereotype.Component;

/** Wraps AppendEntries results so the writer receives the committed links with the outcomes. */
@Component
class AppendResultInterceptor implements MessageHandlerInterceptor<CommandMessage<?>>, SmartInitializingSingleton {

    private final CommandBus commandBus;

    AppendResultInterceptor(CommandBus commandBus) {
        this.commandBus = commandBus;
    }

    @Override
    public void afterSingletonsInstantiated() {
        commandBus.registerHandlerInterceptor(this);
    }

    @Override
    @SuppressWarnings("unchecked")
    public Object handle(UnitOfWork<? extends CommandMessage<?>> uow, InterceptorChain chain) throws Exception {
        Object result = chain.proceed();
        if (!(uow.getMessage().getPayload() instanceof AppendEntries) || !(result instanceof List<?> outcomes)) {
            return result;
        }
        AppendResult wrapped = new AppendResult((List<AppendOutcome>) outcomes);
        uow.afterCommit(u -> wrapped.committed(u.root().getResource(ChainLinks.RESOURCE)));
        return wrapped;
    }
}
