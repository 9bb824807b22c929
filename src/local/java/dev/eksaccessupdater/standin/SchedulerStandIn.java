package dev.eksaccessupdater.standin;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.math.BigDecimal;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.time.format.ResolverStyle;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.services.sqs.SqsClient;
import software.amazon.awssdk.services.sqs.model.SendMessageRequest;

/**
 * A stateful stand-in for EventBridge Scheduler on 127.0.0.1, speaking the rest-json wire format of the service
 * model (botocore {@code scheduler/2021-06-30/service-2.json}): CreateSchedule ({@code POST /schedules/{Name}}),
 * GetSchedule ({@code GET /schedules/{Name}?groupName=}), DeleteSchedule ({@code DELETE
 * /schedules/{Name}?groupName=&clientToken=}) and ListSchedules ({@code GET
 * /schedules?ScheduleGroup=&NamePrefix=&State=&MaxResults=&NextToken=}), with the model's field constraints
 * checked and its errors answered as the SDKs read them: the HTTP status of the error shape, an
 * {@code x-amzn-ErrorType} header and a {@code {"Message": ...}} body.
 *
 * <p>It serves one-time {@code at()} schedules with SQS queue targets, which is what the function creates, and
 * delivers them: when a schedule's time comes by its {@link Clock} ({@link #fireDue}, or a background
 * {@link #pollEvery poll}) or on demand ({@link #fireNow}), it sends {@code Target.Input} as the message body to
 * the queue named by {@code Target.Arn} (with {@code SqsParameters.MessageGroupId}) through a real
 * {@link SqsClient} ({@link #deliverTo}), then deletes the schedule when its {@code ActionAfterCompletion} is
 * {@code DELETE}. A failed delivery leaves the schedule to be fired again. Schedule groups other than
 * {@code default} are created with {@link #createGroup}. Every request is recorded; faults and delays can be
 * injected, for calls and for deliveries. Thread-safe.
 *
 * <p>Where the service's behaviour is not documented, the stand-in does the plain thing and says so: an
 * {@code at()} time in the past is accepted and fires at the next check; a repeated CreateSchedule with the same
 * {@code ClientToken} and the same request answers the first answer again (the model marks the token as an
 * idempotency token); {@code rate()} and {@code cron()} expressions and non-SQS targets are refused as
 * unsupported by the stand-in, so that a test never relies on something it does not do.
 */
public final class SchedulerStandIn implements AutoCloseable {

    public static final String ACCOUNT_ID = "123456789012";
    public static final String REGION = "us-east-1";
    public static final String DEFAULT_GROUP = "default";
    public static final String CREATE = "CreateSchedule";
    public static final String GET = "GetSchedule";
    public static final String DELETE = "DeleteSchedule";
    public static final String LIST = "ListSchedules";

    // Field constraints of the service model (botocore scheduler/2021-06-30/service-2.json).
    private static final Pattern NAME = Pattern.compile("[0-9a-zA-Z-_.]{1,64}");
    private static final Pattern CLIENT_TOKEN = Pattern.compile("[a-zA-Z0-9-_]{1,64}");
    private static final Pattern ROLE_ARN = Pattern.compile("arn:aws(-[a-z]+)?:iam::\\d{12}:role/[\\w+=,.@/-]+");
    private static final Pattern SQS_ARN =
            Pattern.compile("arn:aws(-[a-z]+)?:sqs:([a-z0-9-]+):(\\d{12}):([A-Za-z0-9_.-]+)");
    private static final Pattern AT = Pattern.compile("at\\((.*)\\)");
    private static final DateTimeFormatter AT_TIME =
            DateTimeFormatter.ofPattern("uuuu-MM-dd'T'HH:mm:ss").withResolverStyle(ResolverStyle.STRICT);
    private static final Pattern SCHEDULE_PATH = Pattern.compile("/schedules/([^/]+)");
    private static final String JSON_TYPE = "application/json";
    /** The HTTP status of each error shape of the model ({@code error.httpStatusCode}). */
    private static final Map<String, Integer> ERROR_STATUS = Map.of(
            "ConflictException", 409,
            "InternalServerException", 500,
            "ResourceNotFoundException", 404,
            "ServiceQuotaExceededException", 402,
            "ThrottlingException", 429,
            "ValidationException", 400);
    private static final int DEFAULT_MAX_RESULTS = 100;

    /**
     * One schedule as stored.
     *
     * @param fireAt the instant its {@code at()} expression names, read in its time zone
     * @param target the {@code Target} object as sent
     * @param completed it fired, and its {@code ActionAfterCompletion} is {@code NONE}: it stays, but never fires again
     */
    public record Schedule(String groupName, String name, String arn, String expression, String timezone,
                           Instant fireAt, String state, String actionAfterCompletion,
                           Map<String, Object> flexibleTimeWindow, Map<String, Object> target, String description,
                           String clientToken, Instant creationDate, Instant lastModificationDate,
                           boolean completed) {

        public String targetArn() {
            return (String) target.get("Arn");
        }

        public String roleArn() {
            return (String) target.get("RoleArn");
        }

        /** {@code Target.Input}: the message body a delivery sends; {@code null} when none was given. */
        public String input() {
            return (String) target.get("Input");
        }

        /** {@code Target.SqsParameters.MessageGroupId}, or {@code null}. */
        public String messageGroupId() {
            return target.get("SqsParameters") instanceof Map<?, ?> sqs ? (String) sqs.get("MessageGroupId") : null;
        }

        /** Fires at the next check: enabled, not yet fired, and its time has come. */
        boolean dueAt(Instant now) {
            return "ENABLED".equals(state) && !completed && !fireAt.isAfter(now);
        }

        Schedule completedAt(Instant now) {
            return new Schedule(groupName, name, arn, expression, timezone, fireAt, state, actionAfterCompletion,
                    flexibleTimeWindow, target, description, clientToken, creationDate, now, true);
        }
    }

    /**
     * One request as received and answered.
     *
     * @param operation {@link #CREATE}, {@link #GET}, {@link #DELETE}, {@link #LIST}, or {@code null} for a route no
     *                  operation serves
     * @param name the schedule name, percent-decoded from its path segment ({@code null} for ListSchedules)
     * @param query the query parameters, percent-decoded
     * @param body the parsed JSON body, {@code null} when there was none
     * @param errorType the {@code x-amzn-ErrorType} answered, {@code null} on success
     */
    public record RecordedRequest(String operation, String method, String rawPath, String name,
                                  Map<String, String> query, Map<String, Object> body, String rawBody, int status,
                                  String errorType) {
    }

    /**
     * One attempt to deliver a schedule to its target queue.
     *
     * @param queueUrl the URL the queue ARN resolved to, {@code null} when it could not be resolved
     * @param messageId the SQS message id, {@code null} when the delivery failed
     * @param failure why it failed, {@code null} when it was delivered
     */
    public record Delivery(String groupName, String scheduleName, String queueArn, String queueUrl, String body,
                           String messageGroupId, Instant time, String messageId, String failure) {

        public boolean delivered() {
            return failure == null;
        }
    }

    private record Key(String groupName, String name) {
    }

    private record Stored(Schedule schedule, Map<String, Object> request) {
    }

    private record Fault(String operation, int status, String errorType, String message) {
    }

    private final Clock clock;
    private final Object lock = new Object();
    private final Set<String> groups = new LinkedHashSet<>(List.of(DEFAULT_GROUP));
    private final Map<Key, Stored> schedules = new LinkedHashMap<>();
    private final Set<Key> firing = new HashSet<>();
    private final List<RecordedRequest> requests = new ArrayList<>();
    private final List<Delivery> deliveries = new ArrayList<>();
    private final List<Fault> faults = new ArrayList<>();
    private final List<String> deliveryFaults = new ArrayList<>();
    private final List<Consumer<Delivery>> listeners = new CopyOnWriteArrayList<>();
    private int announced;
    private volatile Duration delay = Duration.ZERO;
    private volatile SqsClient sqs;
    private volatile ScheduledExecutorService poller;
    private volatile StandInHttp http;
    private boolean closed;

    public SchedulerStandIn() {
        this(Clock.systemUTC());
    }

    /** @param clock decides when schedules are due, and their creation and modification dates */
    public SchedulerStandIn(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Starts on a free port of 127.0.0.1. */
    public SchedulerStandIn start() {
        return start(0);
    }

    public SchedulerStandIn start(int port) {
        if (http != null) {
            throw new IllegalStateException("already started");
        }
        http = StandInHttp.start("scheduler-stand-in", port, this::handle);
        return this;
    }

    public URI endpoint() {
        return started().endpoint();
    }

    public int port() {
        return started().port();
    }

    /** Stops the poll and the server; the SQS client belongs to whoever passed it. Closing twice is harmless. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        ScheduledExecutorService running = poller;
        if (running != null) {
            running.shutdownNow();
        }
        StandInHttp server = http;
        if (server != null) {
            server.close();
        }
    }

    // Groups and inspection.

    /** Creates a schedule group (the stand-in does not serve CreateScheduleGroup); creating one twice is harmless. */
    public SchedulerStandIn createGroup(String groupName) {
        if (!NAME.matcher(groupName).matches()) {
            throw new IllegalArgumentException("not a valid schedule group name: " + groupName);
        }
        synchronized (lock) {
            groups.add(groupName);
        }
        return this;
    }

    public Set<String> groups() {
        synchronized (lock) {
            return Set.copyOf(groups);
        }
    }

    /** The schedule as stored now, or {@code null}. */
    public Schedule schedule(String groupName, String name) {
        synchronized (lock) {
            Stored stored = schedules.get(new Key(groupName, name));
            return stored == null ? null : stored.schedule();
        }
    }

    /** Every schedule of every group, in the order they were created. */
    public List<Schedule> schedules() {
        synchronized (lock) {
            return schedules.values().stream().map(Stored::schedule).toList();
        }
    }

    /** Every request received, in order, including failed ones. */
    public List<RecordedRequest> requests() {
        synchronized (lock) {
            return List.copyOf(requests);
        }
    }

    public List<RecordedRequest> requests(String operation) {
        return requests().stream().filter(request -> operation.equals(request.operation())).toList();
    }

    public void clearRequests() {
        synchronized (lock) {
            requests.clear();
        }
    }

    /** Every delivery attempt, in order, failed ones included. */
    public List<Delivery> deliveries() {
        synchronized (lock) {
            return List.copyOf(deliveries);
        }
    }

    /**
     * Waits until at least {@code count} schedules were delivered and their {@link #onDelivery} listeners have run;
     * returns the successful deliveries, or throws after {@code timeout}.
     */
    public List<Delivery> awaitDelivered(int count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (lock) {
            while (announced < count) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new IllegalStateException("expected " + count + " deliveries within " + timeout + ", got "
                            + delivered().size() + " of " + deliveries.size() + " attempts");
                }
                lock.wait(Math.max(1, left / 1_000_000));
            }
            return delivered();
        }
    }

    private List<Delivery> delivered() {
        return deliveries.stream().filter(Delivery::delivered).toList();
    }

    // Delivery.

    /**
     * Delivers through {@code sqsClient}: a target ARN {@code arn:aws:sqs:<region>:<account>:<name>} is resolved
     * with {@code GetQueueUrl} of its last segment, as the AWS docs describe SQS queue ARNs. The client still
     * belongs to the caller.
     */
    public SchedulerStandIn deliverTo(SqsClient sqsClient) {
        this.sqs = Objects.requireNonNull(sqsClient, "sqsClient");
        return this;
    }

    /** Called for each delivery attempt, after it is recorded, on the thread that fired it. */
    public SchedulerStandIn onDelivery(Consumer<Delivery> listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        return this;
    }

    /**
     * Checks every {@code interval}, on a background thread, for schedules whose time has come by the clock, and
     * fires them ({@link #fireDue}). Without it, schedules fire only when a test calls {@link #fireDue} or
     * {@link #fireNow}.
     */
    public SchedulerStandIn pollEvery(Duration interval) {
        if (poller != null) {
            throw new IllegalStateException("already polling");
        }
        ScheduledExecutorService executor = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "scheduler-stand-in-poll");
            thread.setDaemon(true);
            return thread;
        });
        poller = executor;
        executor.scheduleWithFixedDelay(this::fireDue, interval.toMillis(), interval.toMillis(),
                TimeUnit.MILLISECONDS);
        return this;
    }

    /** Fires every enabled schedule whose time has come by the clock and that has not fired; returns the attempts. */
    public List<Delivery> fireDue() {
        Instant now = clock.instant();
        List<Schedule> due;
        synchronized (lock) {
            due = schedules.values().stream().map(Stored::schedule)
                    .filter(schedule -> schedule.dueAt(now))
                    .filter(schedule -> !firing.contains(key(schedule)))
                    .toList();
            due.forEach(schedule -> firing.add(key(schedule)));
        }
        return due.stream().map(this::fire).toList();
    }

    /**
     * Fires one schedule now, whatever its time, state or earlier firing: the hook a test (or the local stack's
     * demo) uses instead of waiting for a grant's {@code expiresAt}.
     *
     * @throws IllegalArgumentException when there is no such schedule
     * @throws IllegalStateException when it is being fired already
     */
    public Delivery fireNow(String groupName, String name) {
        Schedule schedule;
        synchronized (lock) {
            Stored stored = schedules.get(new Key(groupName, name));
            if (stored == null) {
                throw new IllegalArgumentException("no schedule " + name + " in group " + groupName);
            }
            schedule = stored.schedule();
            if (!firing.add(key(schedule))) {
                throw new IllegalStateException("the schedule " + name + " is being fired already");
            }
        }
        return fire(schedule);
    }

    /** {@link #fireNow(String, String)} for the only schedule of that name, in whichever group. */
    public Delivery fireNow(String name) {
        List<Schedule> named = schedules().stream().filter(schedule -> schedule.name().equals(name)).toList();
        if (named.size() != 1) {
            throw new IllegalArgumentException(named.size() + " schedules are named " + name);
        }
        return fireNow(named.get(0).groupName(), name);
    }

    private Delivery fire(Schedule schedule) {
        Delivery delivery;
        try {
            delivery = send(schedule);
        } catch (RuntimeException unexpected) {
            delivery = new Delivery(schedule.groupName(), schedule.name(), schedule.targetArn(), null,
                    schedule.input(), schedule.messageGroupId(), clock.instant(), null, String.valueOf(unexpected));
        }
        synchronized (lock) {
            Key key = key(schedule);
            firing.remove(key);
            Stored stored = schedules.get(key);
            // DELETE removes a one-time schedule once it has invoked its target
            // (https://docs.aws.amazon.com/scheduler/latest/UserGuide/managing-schedule-delete.html).
            // A schedule deleted or replaced while it was being sent has nothing to complete.
            if (delivery.delivered() && stored != null && stored.schedule().arn().equals(schedule.arn())) {
                if ("DELETE".equals(schedule.actionAfterCompletion())) {
                    schedules.remove(key);
                } else {
                    schedules.put(key, new Stored(stored.schedule().completedAt(now()), stored.request()));
                }
            }
            deliveries.add(delivery);
        }
        try {
            for (Consumer<Delivery> listener : listeners) {
                listener.accept(delivery);
            }
        } finally {
            synchronized (lock) {
                if (delivery.delivered()) {
                    announced++;
                }
                lock.notifyAll();
            }
        }
        return delivery;
    }

    private Delivery send(Schedule schedule) {
        String queueArn = schedule.targetArn();
        String body = schedule.input();
        String groupId = schedule.messageGroupId();
        Instant time = clock.instant();
        String injected;
        synchronized (lock) {
            injected = deliveryFaults.isEmpty() ? null : deliveryFaults.remove(0);
        }
        if (injected != null) {
            return new Delivery(schedule.groupName(), schedule.name(), queueArn, null, body, groupId, time, null,
                    injected);
        }
        SqsClient client = sqs;
        if (client == null) {
            return new Delivery(schedule.groupName(), schedule.name(), queueArn, null, body, groupId, time, null,
                    "no SQS client to deliver with (deliverTo was not called)");
        }
        Matcher arn = SQS_ARN.matcher(queueArn);
        if (!arn.matches()) {
            return new Delivery(schedule.groupName(), schedule.name(), queueArn, null, body, groupId, time, null,
                    "not an SQS queue ARN: " + queueArn);
        }
        String queueUrl = null;
        try {
            queueUrl = client.getQueueUrl(request -> request.queueName(arn.group(4))).queueUrl();
            SendMessageRequest.Builder message = SendMessageRequest.builder().queueUrl(queueUrl).messageBody(body);
            if (groupId != null) {
                message.messageGroupId(groupId);
            }
            String messageId = client.sendMessage(message.build()).messageId();
            return new Delivery(schedule.groupName(), schedule.name(), queueArn, queueUrl, body, groupId, time,
                    messageId, null);
        } catch (SdkException e) {
            return new Delivery(schedule.groupName(), schedule.name(), queueArn, queueUrl, body, groupId, time, null,
                    e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    // Fault injection.

    /**
     * The next {@code times} calls, of any operation, fail with one of the model's errors, at its HTTP status:
     * {@code ThrottlingException} 429, {@code InternalServerException} 500, {@code ServiceQuotaExceededException}
     * 402, {@code ConflictException} 409, {@code ResourceNotFoundException} 404, {@code ValidationException} 400.
     *
     * @throws IllegalArgumentException for an error type the model does not name
     */
    public void failNextCalls(int times, String errorType) {
        Integer status = ERROR_STATUS.get(errorType);
        if (status == null) {
            throw new IllegalArgumentException("not an error of the Scheduler model: " + errorType + "; give the "
                    + "HTTP status yourself");
        }
        failNextCalls(times, status, errorType);
    }

    /** The next {@code times} calls, of any operation, fail with this HTTP status and error type. */
    public void failNextCalls(int times, int status, String errorType) {
        addFaults(new Fault(null, status, errorType, null), times);
    }

    /** The next {@code times} calls of one operation ({@link #CREATE}, {@link #GET}, ...) fail with this error. */
    public void failNextOperation(String operation, int times, int status, String errorType, String message) {
        addFaults(new Fault(Objects.requireNonNull(operation, "operation"), status, errorType, message), times);
    }

    /** The next {@code times} delivery attempts fail with {@code reason} without reaching SQS; the schedules stay. */
    public void failNextDeliveries(int times, String reason) {
        Objects.requireNonNull(reason, "reason");
        if (times < 1) {
            throw new IllegalArgumentException("times must be at least 1");
        }
        synchronized (lock) {
            deliveryFaults.addAll(Collections.nCopies(times, reason));
        }
    }

    /** Every call waits this long before it is answered (zero to stop). */
    public void delay(Duration delay) {
        this.delay = Objects.requireNonNull(delay, "delay");
    }

    public void clearFaults() {
        synchronized (lock) {
            faults.clear();
            deliveryFaults.clear();
        }
        delay = Duration.ZERO;
    }

    private void addFaults(Fault fault, int times) {
        Objects.requireNonNull(fault.errorType(), "errorType");
        if (times < 1) {
            throw new IllegalArgumentException("times must be at least 1");
        }
        synchronized (lock) {
            faults.addAll(Collections.nCopies(times, fault));
        }
    }

    private Fault takeFault(String operation) {
        for (Iterator<Fault> iterator = faults.iterator(); iterator.hasNext(); ) {
            Fault fault = iterator.next();
            if (fault.operation() == null || fault.operation().equals(operation)) {
                iterator.remove();
                return fault;
            }
        }
        return null;
    }

    // Serving.

    private void handle(HttpExchange exchange) throws IOException {
        try (exchange) {
            String rawBody = StandInHttp.body(exchange);
            if (!StandInHttp.pause(delay)) {
                return;
            }
            String method = exchange.getRequestMethod();
            String rawPath = exchange.getRequestURI().getRawPath();
            String operation = null;
            String name = null;
            Map<String, String> query = Map.of();
            Map<String, Object> body = null;
            int status = 200;
            String errorType = null;
            Object answer;
            try {
                query = parseQuery(exchange.getRequestURI().getRawQuery());
                Matcher path = SCHEDULE_PATH.matcher(rawPath);
                if (rawPath.equals("/schedules") && method.equals("GET")) {
                    operation = LIST;
                } else if (path.matches()) {
                    operation = switch (method) {
                        case "POST" -> CREATE;
                        case "GET" -> GET;
                        case "DELETE" -> DELETE;
                        default -> null;
                    };
                    name = decode(path.group(1));
                }
                if (operation == null) {
                    throw new AwsError(404, "UnknownOperationException",
                            "The stand-in serves no operation at " + method + " " + rawPath);
                }
                body = parseBody(rawBody);
                answer = answer(operation, name, query, body);
            } catch (AwsError error) {
                status = error.status;
                errorType = error.type;
                answer = Map.of("Message", error.getMessage());
            }
            synchronized (lock) {
                requests.add(new RecordedRequest(operation, method, rawPath, name, query,
                        body == null ? null : Collections.unmodifiableMap(body), rawBody, status, errorType));
            }
            StandInHttp.respond(exchange, status, JSON_TYPE,
                    errorType == null ? Map.of() : Map.of("x-amzn-ErrorType", errorType), answer);
        }
    }

    private Object answer(String operation, String name, Map<String, String> query, Map<String, Object> body)
            throws AwsError {
        synchronized (lock) {
            Fault fault = takeFault(operation);
            if (fault != null) {
                throw new AwsError(fault.status(), fault.errorType(), fault.message() != null
                        ? fault.message() : "Injected " + fault.errorType() + " by the stand-in");
            }
            return switch (operation) {
                case CREATE -> create(name, body == null ? Map.of() : body);
                case GET -> get(name, query);
                case DELETE -> delete(name, query);
                default -> list(query);
            };
        }
    }

    private Map<String, Object> create(String name, Map<String, Object> body) throws AwsError {
        checkName("Name", name);
        String groupName = optionalString(body, "GroupName");
        groupName = groupName == null ? DEFAULT_GROUP : groupName;
        checkName("GroupName", groupName);
        String clientToken = optionalString(body, "ClientToken");
        if (clientToken != null && !CLIENT_TOKEN.matcher(clientToken).matches()) {
            throw AwsError.validation("ClientToken must be 1-64 characters of [a-zA-Z0-9-_]");
        }
        String expression = optionalString(body, "ScheduleExpression");
        if (expression == null) {
            throw AwsError.validation("ScheduleExpression is required");
        }
        String timezone = optionalString(body, "ScheduleExpressionTimezone");
        Instant fireAt = fireAt(expression, timezone);
        Map<String, Object> window = optionalObject(body, "FlexibleTimeWindow");
        if (window == null) {
            throw AwsError.validation("FlexibleTimeWindow is required");
        }
        checkWindow(window);
        String action = optionalString(body, "ActionAfterCompletion");
        checkEnum("ActionAfterCompletion", action, List.of("NONE", "DELETE"));
        String state = optionalString(body, "State");
        checkEnum("State", state, List.of("ENABLED", "DISABLED"));
        String description = optionalString(body, "Description");
        if (description != null && description.length() > 512) {
            throw AwsError.validation("Description must be at most 512 characters");
        }
        Map<String, Object> target = optionalObject(body, "Target");
        if (target == null) {
            throw AwsError.validation("Target is required");
        }
        checkTarget(target);
        if (!groups.contains(groupName)) {
            throw AwsError.notFound("Schedule group " + groupName + " does not exist.");
        }
        Key key = new Key(groupName, name);
        Stored existing = schedules.get(key);
        if (existing != null) {
            if (clientToken != null && clientToken.equals(existing.schedule().clientToken())
                    && existing.request().equals(body)) {
                return Map.of("ScheduleArn", existing.schedule().arn());
            }
            throw new AwsError(409, "ConflictException", "Schedule " + name + " already exists.");
        }
        Instant now = now();
        Schedule schedule = new Schedule(groupName, name,
                "arn:aws:scheduler:" + REGION + ":" + ACCOUNT_ID + ":schedule/" + groupName + "/" + name,
                expression, timezone, fireAt, state == null ? "ENABLED" : state, action == null ? "NONE" : action,
                Collections.unmodifiableMap(window), Collections.unmodifiableMap(target), description, clientToken,
                now, now, false);
        schedules.put(key, new Stored(schedule, Collections.unmodifiableMap(new LinkedHashMap<>(body))));
        return Map.of("ScheduleArn", schedule.arn());
    }

    private Map<String, Object> get(String name, Map<String, String> query) throws AwsError {
        Schedule schedule = find(name, query.get("groupName"));
        Map<String, Object> answer = new LinkedHashMap<>();
        answer.put("ActionAfterCompletion", schedule.actionAfterCompletion());
        answer.put("Arn", schedule.arn());
        answer.put("CreationDate", epochSeconds(schedule.creationDate()));
        if (schedule.description() != null) {
            answer.put("Description", schedule.description());
        }
        answer.put("FlexibleTimeWindow", schedule.flexibleTimeWindow());
        answer.put("GroupName", schedule.groupName());
        answer.put("LastModificationDate", epochSeconds(schedule.lastModificationDate()));
        answer.put("Name", schedule.name());
        answer.put("ScheduleExpression", schedule.expression());
        if (schedule.timezone() != null) {
            answer.put("ScheduleExpressionTimezone", schedule.timezone());
        }
        answer.put("State", schedule.state());
        answer.put("Target", schedule.target());
        return answer;
    }

    private Map<String, Object> delete(String name, Map<String, String> query) throws AwsError {
        String clientToken = query.get("clientToken");
        if (clientToken != null && !CLIENT_TOKEN.matcher(clientToken).matches()) {
            throw AwsError.validation("clientToken must be 1-64 characters of [a-zA-Z0-9-_]");
        }
        Schedule schedule = find(name, query.get("groupName"));
        schedules.remove(key(schedule));
        return Map.of();
    }

    private Map<String, Object> list(Map<String, String> query) throws AwsError {
        String groupName = query.get("ScheduleGroup");
        if (groupName != null) {
            checkName("ScheduleGroup", groupName);
            if (!groups.contains(groupName)) {
                throw AwsError.notFound("Schedule group " + groupName + " does not exist.");
            }
        }
        String prefix = query.get("NamePrefix");
        if (prefix != null) {
            checkName("NamePrefix", prefix);
        }
        String state = query.get("State");
        checkEnum("State", state, List.of("ENABLED", "DISABLED"));
        int maxResults = DEFAULT_MAX_RESULTS;
        if (query.get("MaxResults") != null) {
            try {
                maxResults = Integer.parseInt(query.get("MaxResults"));
            } catch (NumberFormatException notANumber) {
                throw AwsError.validation("MaxResults must be a number from 1 to 100");
            }
            if (maxResults < 1 || maxResults > 100) {
                throw AwsError.validation("MaxResults must be a number from 1 to 100");
            }
        }
        Key after = query.get("NextToken") == null ? null : fromNextToken(query.get("NextToken"));
        Comparator<Key> order = Comparator.comparing(Key::groupName).thenComparing(Key::name);
        List<Schedule> matching = schedules.values().stream().map(Stored::schedule)
                .filter(schedule -> groupName == null || schedule.groupName().equals(groupName))
                .filter(schedule -> prefix == null || schedule.name().startsWith(prefix))
                .filter(schedule -> state == null || schedule.state().equals(state))
                .sorted(Comparator.comparing(SchedulerStandIn::key, order))
                .filter(schedule -> after == null || order.compare(key(schedule), after) > 0)
                .toList();
        List<Schedule> page = matching.subList(0, Math.min(maxResults, matching.size()));
        Map<String, Object> answer = new LinkedHashMap<>();
        List<Map<String, Object>> summaries = new ArrayList<>();
        for (Schedule schedule : page) {
            Map<String, Object> summary = new LinkedHashMap<>();
            summary.put("Arn", schedule.arn());
            summary.put("CreationDate", epochSeconds(schedule.creationDate()));
            summary.put("GroupName", schedule.groupName());
            summary.put("LastModificationDate", epochSeconds(schedule.lastModificationDate()));
            summary.put("Name", schedule.name());
            summary.put("State", schedule.state());
            summary.put("Target", Map.of("Arn", schedule.targetArn()));
            summaries.add(summary);
        }
        answer.put("Schedules", summaries);
        if (matching.size() > page.size()) {
            answer.put("NextToken", nextToken(key(page.get(page.size() - 1))));
        }
        return answer;
    }

    private Schedule find(String name, String groupName) throws AwsError {
        checkName("Name", name);
        String group = groupName == null ? DEFAULT_GROUP : groupName;
        checkName("groupName", group);
        Stored stored = schedules.get(new Key(group, name));
        if (stored == null) {
            throw AwsError.notFound("Schedule " + name + " does not exist.");
        }
        return stored.schedule();
    }

    // Validation.

    /**
     * The instant an {@code at(yyyy-mm-ddThh:mm:ss)} expression names in {@code timezone} (UTC when absent); the
     * format is the one the EventBridge Scheduler User Guide gives for one-time schedules
     * (https://docs.aws.amazon.com/scheduler/latest/UserGuide/schedule-types.html#one-time).
     */
    private static Instant fireAt(String expression, String timezone) throws AwsError {
        if (expression.isEmpty() || expression.length() > 256) {
            throw AwsError.validation("ScheduleExpression must be 1-256 characters");
        }
        ZoneId zone;
        try {
            zone = timezone == null ? ZoneId.of("UTC") : ZoneId.of(timezone);
        } catch (DateTimeException e) {
            throw AwsError.validation("Invalid ScheduleExpressionTimezone " + timezone + ".");
        }
        if (timezone != null && timezone.length() > 50) {
            throw AwsError.validation("ScheduleExpressionTimezone must be 1-50 characters");
        }
        if (expression.startsWith("rate(") || expression.startsWith("cron(")) {
            throw AwsError.validation("The stand-in serves one-time at() schedules only, not " + expression);
        }
        Matcher at = AT.matcher(expression);
        if (!at.matches()) {
            throw AwsError.validation("Invalid Schedule Expression " + expression + ".");
        }
        try {
            return LocalDateTime.parse(at.group(1), AT_TIME).atZone(zone).toInstant();
        } catch (DateTimeParseException e) {
            throw AwsError.validation("Invalid Schedule Expression " + expression + ".");
        }
    }

    private static void checkWindow(Map<String, Object> window) throws AwsError {
        String mode = optionalString(window, "Mode");
        if (mode == null) {
            throw AwsError.validation("FlexibleTimeWindow.Mode is required");
        }
        checkEnum("FlexibleTimeWindow.Mode", mode, List.of("OFF", "FLEXIBLE"));
        Object minutes = window.get("MaximumWindowInMinutes");
        if (mode.equals("FLEXIBLE")) {
            if (!(minutes instanceof Integer value) || value < 1 || value > 1440) {
                throw AwsError.validation("FlexibleTimeWindow.MaximumWindowInMinutes must be 1-1440 when Mode "
                        + "is FLEXIBLE");
            }
        } else if (minutes != null) {
            throw AwsError.validation("FlexibleTimeWindow.MaximumWindowInMinutes is only allowed when Mode is "
                    + "FLEXIBLE");
        }
    }

    private static void checkTarget(Map<String, Object> target) throws AwsError {
        String arn = optionalString(target, "Arn");
        if (arn == null) {
            throw AwsError.validation("Target.Arn is required");
        }
        if (arn.isEmpty() || arn.length() > 1600) {
            throw AwsError.validation("Target.Arn must be 1-1600 characters");
        }
        if (!SQS_ARN.matcher(arn).matches()) {
            throw AwsError.validation("The stand-in delivers to SQS queues only; Target.Arn is not an SQS "
                    + "queue ARN: " + arn);
        }
        String roleArn = optionalString(target, "RoleArn");
        if (roleArn == null) {
            throw AwsError.validation("Target.RoleArn is required");
        }
        if (roleArn.length() > 1600 || !ROLE_ARN.matcher(roleArn).matches()) {
            throw AwsError.validation("Target.RoleArn is not an IAM role ARN: " + roleArn);
        }
        String input = optionalString(target, "Input");
        if (input != null && input.isEmpty()) {
            throw AwsError.validation("Target.Input must not be empty");
        }
        Map<String, Object> sqsParameters = optionalObject(target, "SqsParameters");
        if (sqsParameters != null) {
            String groupId = optionalString(sqsParameters, "MessageGroupId");
            if (groupId != null && (groupId.isEmpty() || groupId.length() > 128)) {
                throw AwsError.validation("Target.SqsParameters.MessageGroupId must be 1-128 characters");
            }
        }
        Map<String, Object> retryPolicy = optionalObject(target, "RetryPolicy");
        if (retryPolicy != null) {
            checkRange(retryPolicy, "MaximumEventAgeInSeconds", 60, 86_400);
            checkRange(retryPolicy, "MaximumRetryAttempts", 0, 185);
        }
    }

    private static void checkRange(Map<String, Object> object, String field, int min, int max) throws AwsError {
        Object value = object.get(field);
        if (value != null && (!(value instanceof Integer number) || number < min || number > max)) {
            throw AwsError.validation("Target.RetryPolicy." + field + " must be " + min + "-" + max);
        }
    }

    private static void checkName(String field, String value) throws AwsError {
        if (!NAME.matcher(value).matches()) {
            throw AwsError.validation(field + " must be 1-64 characters of [0-9a-zA-Z-_.]");
        }
    }

    private static void checkEnum(String field, String value, List<String> allowed) throws AwsError {
        if (value != null && !allowed.contains(value)) {
            throw AwsError.validation(field + " must be one of " + allowed + ", not " + value);
        }
    }

    private static String optionalString(Map<String, Object> object, String field) throws AwsError {
        Object value = object.get(field);
        if (value == null || value instanceof String) {
            return (String) value;
        }
        throw AwsError.serialization(field + " must be a string");
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> optionalObject(Map<String, Object> object, String field)
            throws AwsError {
        Object value = object.get(field);
        if (value == null || value instanceof Map<?, ?>) {
            return (Map<String, Object>) value;
        }
        throw AwsError.serialization(field + " must be an object");
    }

    // Plumbing.

    private static Key key(Schedule schedule) {
        return new Key(schedule.groupName(), schedule.name());
    }

    private static String nextToken(Key last) {
        return Base64.getUrlEncoder().withoutPadding()
                .encodeToString((last.groupName() + "\n" + last.name()).getBytes(StandardCharsets.UTF_8));
    }

    private static Key fromNextToken(String token) throws AwsError {
        try {
            String[] parts = new String(Base64.getUrlDecoder().decode(token), StandardCharsets.UTF_8).split("\n", -1);
            if (parts.length == 2) {
                return new Key(parts[0], parts[1]);
            }
        } catch (IllegalArgumentException notBase64) {
            // answered below
        }
        throw AwsError.validation("Invalid NextToken");
    }

    /** The response shape of a timestamp: epoch seconds, a JSON number, as rest-json sends them by default. */
    private static BigDecimal epochSeconds(Instant instant) {
        return BigDecimal.valueOf(instant.toEpochMilli()).movePointLeft(3);
    }

    private Instant now() {
        return clock.instant().truncatedTo(ChronoUnit.MILLIS);
    }

    private StandInHttp started() {
        StandInHttp running = http;
        if (running == null) {
            throw new IllegalStateException("not started");
        }
        return running;
    }

    private static Map<String, String> parseQuery(String rawQuery) throws AwsError {
        if (rawQuery == null || rawQuery.isEmpty()) {
            return Map.of();
        }
        Map<String, String> query = new LinkedHashMap<>();
        for (String pair : rawQuery.split("&")) {
            int equals = pair.indexOf('=');
            String name = decode(equals < 0 ? pair : pair.substring(0, equals));
            String value = equals < 0 ? "" : decode(pair.substring(equals + 1));
            query.put(name, value);
        }
        return Collections.unmodifiableMap(query);
    }

    private static String decode(String component) throws AwsError {
        try {
            return StandInHttp.decodeSegment(component);
        } catch (IllegalArgumentException e) {
            throw AwsError.serialization("Malformed percent-encoding: " + component);
        }
    }

    private static Map<String, Object> parseBody(String rawBody) throws AwsError {
        if (rawBody.isBlank()) {
            return null;
        }
        try {
            return StandInHttp.parseObject(rawBody);
        } catch (IOException e) {
            throw AwsError.serialization("The request body is not a JSON object");
        }
    }
}
