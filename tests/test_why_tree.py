"""`parity why` on TypeScript and Go services planted after the corpus: a tRPC procedure behind a
billing predicate (documenso), routes behind a settings class field (outline), a ts-pattern
transport switch, a server started under an env test (hoppscotch), a plugin router mounted only for
local storage, and Go services that start a worker under ``os.Getenv`` and register gRPC methods."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from parity.code.why import SymbolNotFound, why
from parity.project import discover


def planted(tmp_path: Path, files: dict[str, str], production: str) -> Path:
    svc = tmp_path / "svc"
    for rel, text in files.items():
        p = svc / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(textwrap.dedent(text), encoding="utf-8")
    (svc / ".env.production").write_text(textwrap.dedent(production), encoding="utf-8")
    return tmp_path


def answer(root: Path, symbol: str) -> tuple[str, str | None]:
    result = why(discover(root), symbol, "production")
    switches = [b.key for b in result.blockers if b.kind == "switch"]
    return result.verdict, (switches[0] if switches else None)


BILLING = {
    "lib/constants/app.ts": """
        import { env } from '../utils/env';
        export const IS_BILLING_ENABLED = () => env('NEXT_PUBLIC_FEATURE_BILLING_ENABLED') === 'true';
        """,
    "trpc/get-invoices.ts": """
        import { IS_BILLING_ENABLED } from '../lib/constants/app';
        import { authenticatedProcedure } from './trpc';

        export const getInvoicesRoute = authenticatedProcedure
          .input(ZGetInvoicesRequestSchema)
          .query(async ({ ctx, input }) => {
            ctx.logger.info({ input });
            if (!IS_BILLING_ENABLED()) {
              throw new AppError('INVALID_REQUEST', { message: 'Billing is not enabled' });
            }
            return await getInvoices(input.organisationId);
          });
        """,
    "trpc/router.ts": """
        import { getInvoicesRoute } from './get-invoices';
        export const enterpriseRouter = router({ billing: { invoices: { get: getInvoicesRoute } } });
        """,
}


def test_trpc_procedure_that_throws_unless_a_predicate_from_another_file(tmp_path: Path) -> None:
    root = planted(tmp_path, BILLING, "DATABASE_URL=postgres://db/app\n")
    assert answer(root, "getInvoicesRoute") == ("BLOCKED", "NEXT_PUBLIC_FEATURE_BILLING_ENABLED")
    blocker = why(discover(root), "getInvoicesRoute", "production").blockers[0]
    assert (blocker.file, blocker.line) == ("svc/trpc/get-invoices.ts", 9)  # the early throw
    assert blocker.fix == "set NEXT_PUBLIC_FEATURE_BILLING_ENABLED=true in svc/.env.production"
    (tmp_path / "svc/.env.production").write_text("NEXT_PUBLIC_FEATURE_BILLING_ENABLED=true\n")
    assert answer(root, "trpc/get-invoices.ts:getInvoicesRoute") == ("REACHABLE", None)


SETTINGS_CLASS = {
    "server/env.ts": """
        import environment from "./utils/environment";

        export class Environment {
          public ENVIRONMENT = environment.NODE_ENV ?? "production";
          public SMTP_HOST = this.toOptionalString(environment.SMTP_HOST);
          public SMTP_SERVICE = this.toOptionalString(environment.SMTP_SERVICE);
          public EMAIL_ENABLED =
            !!(this.SMTP_HOST || this.SMTP_SERVICE) || this.isDevelopment;
          public RATE_LIMITER_ENABLED = this.toBoolean(environment.RATE_LIMITER_ENABLED ?? "true");

          public get isDevelopment() {
            return this.ENVIRONMENT === "development";
          }
        }

        export default new Environment();
        """,
    "server/routes/api/users.ts": """
        import Router from "koa-router";
        import env from "@server/env";

        const router = new Router();

        router.post(
          "users.requestDelete",
          auth(),
          async (ctx: APIContext) => {
            if (!env.EMAIL_ENABLED) {
              throw ValidationError("Email support is not setup for this instance");
            }
            await sendDeleteEmail(ctx.state.auth.user);
          }
        );

        router.post("users.info", auth(), async (ctx: APIContext) => {
          if (!env.RATE_LIMITER_ENABLED) {
            return;
          }
          ctx.body = { data: ctx.state.auth.user };
        });
        """,
}


def test_route_gated_by_a_derived_settings_field(tmp_path: Path) -> None:
    root = planted(tmp_path, SETTINGS_CLASS, "NODE_ENV=production\n")
    # EMAIL_ENABLED = !!(SMTP_HOST || SMTP_SERVICE) || isDevelopment: no SMTP, not development.
    assert answer(root, "users.requestDelete") == ("BLOCKED", "SMTP_HOST")
    fix = why(discover(root), "users.requestDelete", "production").blockers[0].fix
    assert fix == "set SMTP_HOST in svc/.env.production (any non-empty value opens it)"
    # RATE_LIMITER_ENABLED defaults to "true" through the cast: the gate is open.
    assert answer(root, "users.info") == ("REACHABLE", None)
    (tmp_path / "svc/.env.production").write_text("NODE_ENV=production\nSMTP_HOST=smtp.internal\n")
    assert answer(root, "users.requestDelete") == ("REACHABLE", None)
    (tmp_path / "svc/.env.production").write_text("NODE_ENV=production\nRATE_LIMITER_ENABLED=false\n")
    assert answer(root, "users.info") == ("BLOCKED", "RATE_LIMITER_ENABLED")


SIGNING = {
    "signing/index.ts": """
        import { env } from '../utils/env';
        import { match } from 'ts-pattern';
        import { createGoogleCloudSigner } from './transports/google-cloud';
        import { createLocalSigner } from './transports/local';

        const getSigner = async () => {
          const transport = env('NEXT_PRIVATE_SIGNING_TRANSPORT') || 'local';
          return await match(transport)
            .with('local', async () => await createLocalSigner())
            .with('gcloud-hsm', async () => await createGoogleCloudSigner())
            .otherwise(() => {
              throw new Error(`Unsupported signing transport: ${transport}`);
            });
        };

        export const signPdf = async ({ pdf }) => pdf.sign({ signer: await getSigner() });
        """,
    "signing/transports/google-cloud.ts": """
        import { env } from '../../utils/env';
        export const createGoogleCloudSigner = async () => {
          const keyPath = env('NEXT_PRIVATE_SIGNING_GCLOUD_HSM_KEY_PATH');
          if (!keyPath) {
            throw new Error('No key path provided for Google Cloud HSM signing');
          }
          return new GoogleSigner(keyPath);
        };
        """,
    "signing/transports/local.ts": """
        export const createLocalSigner = async () => new LocalSigner();
        """,
    "server/main.ts": """
        import { signPdf } from '../signing';
        void signPdf({ pdf: loadStartupPdf() });
        """,
}


def test_ts_pattern_case_and_a_required_key_check(tmp_path: Path) -> None:
    root = planted(tmp_path, SIGNING, "PORT=3000\n")
    assert answer(root, "createGoogleCloudSigner") == ("BLOCKED", "NEXT_PRIVATE_SIGNING_TRANSPORT")
    assert answer(root, "createLocalSigner") == ("REACHABLE", None)
    # Chosen, but its key is missing: it throws on call, a missing key and not a switch.
    (tmp_path / "svc/.env.production").write_text("NEXT_PRIVATE_SIGNING_TRANSPORT=gcloud-hsm\n")
    result = why(discover(root), "createGoogleCloudSigner", "production")
    assert result.verdict == "CRASHES"
    assert [b.key for b in result.blockers] == ["NEXT_PRIVATE_SIGNING_GCLOUD_HSM_KEY_PATH"]
    assert answer(root, "createLocalSigner") == ("BLOCKED", "NEXT_PRIVATE_SIGNING_TRANSPORT")


def test_module_level_start_under_an_env_test_and_no_entry_point(tmp_path: Path) -> None:
    files = {
        "src/main.ts": """
            async function bootstrap() {
              const app = await NestFactory.create(AppModule);
              await app.listen(3170);
            }

            if (!process.env.GENERATE_GQL_SCHEMA) {
              bootstrap();
            }
            """,
        "src/unused.ts": """
            export function neverCalled() {
              return 1;
            }
            """,
    }
    root = planted(tmp_path, files, "DATABASE_URL=postgres://db/app\n")
    assert answer(root, "bootstrap") == ("REACHABLE", None)
    # Nothing calls it: no entry point is no reason to say REACHABLE.
    assert answer(root, "neverCalled") == ("UNKNOWN", None)
    (tmp_path / "svc/.env.production").write_text("GENERATE_GQL_SCHEMA=1\n")
    assert answer(root, "bootstrap") == ("BLOCKED", "GENERATE_GQL_SCHEMA")


STORAGE_PLUGIN = {
    "plugins/storage/server/api/files.ts": """
        import Router from "koa-router";
        const router = new Router();

        router.post("files.create", auth(), async (ctx: APIContext) => {
          ctx.body = await saveLocally(ctx.input.body);
        });

        export default router;
        """,
    "plugins/storage/server/index.ts": """
        import router from "./api/files";

        const enabled = !!(process.env.FILE_STORAGE_LOCAL_ROOT_DIR && process.env.FILE_STORAGE === "local");

        if (enabled) {
          PluginManager.add([{ name: "Local file storage", value: router }]);
        }
        """,
}


def test_router_mounted_by_a_plugin_only_for_local_storage(tmp_path: Path) -> None:
    files = STORAGE_PLUGIN
    root = planted(tmp_path, files, "FILE_STORAGE=s3\nFILE_STORAGE_LOCAL_ROOT_DIR=/var/lib/outline/data\n")
    assert answer(root, "files.create") == ("BLOCKED", "FILE_STORAGE")
    (tmp_path / "svc/.env.production").write_text(
        "FILE_STORAGE=local\nFILE_STORAGE_LOCAL_ROOT_DIR=/var/lib/outline/data\n"
    )
    assert answer(root, "files.create") == ("REACHABLE", None)


def test_several_definitions_are_listed_and_file_colon_symbol_picks_one(tmp_path: Path) -> None:
    files = {
        "src/auth/login.ts": """
            import { env } from '../env';
            export async function login(req) {
              if (env('SSO_ENABLED') !== 'true') {
                throw new Error('SSO is off');
              }
              return sso(req);
            }
            """,
        "src/admin/login.ts": """
            export async function login(req) {
              return password(req);
            }
            """,
        "src/legacy/login.ts": """
            export async function login(req) {
              return basicAuth(req);
            }
            """,
        "src/server.ts": """
            import { login } from './admin/login';
            app.post('/admin/login', login);
            """,
    }
    root = planted(tmp_path, files, "PORT=3000\n")
    result = why(discover(root), "login", "production")
    assert result.verdict == "UNKNOWN"
    assert sorted(d.rsplit(":", 1)[0] for d in result.definitions) == [
        "svc/src/admin/login.ts",
        "svc/src/auth/login.ts",
        "svc/src/legacy/login.ts",
    ]
    assert [a.verdict for a in result.alternatives] == ["REACHABLE", "BLOCKED", "UNKNOWN"]
    # server.ts imports ./admin/login: that call is not a path to the legacy login.
    assert answer(root, "legacy/login.ts:login") == ("UNKNOWN", None)
    assert answer(root, "src/auth/login.ts:login") == ("BLOCKED", "SSO_ENABLED")
    assert answer(root, "admin/login.ts:login") == ("REACHABLE", None)


GO_CHECKOUT = {
    "checkout/main.go": """
        package main

        import (
            "net/http"
            "os"

            "example.com/checkout/kafka"
        )

        type checkout struct {
            kafkaBrokerSvcAddr string
        }

        func main() {
            svc := new(checkout)
            svc.kafkaBrokerSvcAddr = os.Getenv("KAFKA_ADDR")
            if svc.kafkaBrokerSvcAddr != "" {
                kafka.CreateKafkaProducer([]string{svc.kafkaBrokerSvcAddr})
            }
            if os.Getenv("ENABLE_REPORTS") == "1" {
                go startReports()
            }
            http.HandleFunc("/orders", handleOrders)
            pb.RegisterCheckoutServiceServer(srv, svc)
        }

        func startReports() {}

        func handleOrders(w http.ResponseWriter, r *http.Request) {}

        func (cs *checkout) PlaceOrder(ctx context.Context) error { return nil }

        func unused() {}
        """,
    "checkout/kafka/producer.go": """
        package kafka

        func CreateKafkaProducer(brokers []string) error {
            return nil
        }
        """,
}


def test_go_goroutine_under_getenv_handler_and_grpc_method(tmp_path: Path) -> None:
    root = planted(tmp_path, GO_CHECKOUT, "KAFKA_ADDR=kafka:9092\n")
    assert answer(root, "startReports") == ("BLOCKED", "ENABLE_REPORTS")
    assert answer(root, "CreateKafkaProducer") == ("REACHABLE", None)
    assert answer(root, "handleOrders") == ("REACHABLE", None)
    assert answer(root, "checkout.PlaceOrder") == ("REACHABLE", None)
    assert answer(root, "unused") == ("UNKNOWN", None)
    (tmp_path / "svc/.env.production").write_text("ENABLE_REPORTS=1\n")
    assert answer(root, "startReports") == ("REACHABLE", None)
    # os.Getenv is "" when unset: the field test closes the producer's path.
    assert answer(root, "checkout/kafka/producer.go:CreateKafkaProducer") == ("BLOCKED", "KAFKA_ADDR")


def test_a_name_defined_nowhere_still_says_so(tmp_path: Path) -> None:
    root = planted(tmp_path, GO_CHECKOUT, "KAFKA_ADDR=kafka:9092\n")
    with pytest.raises(SymbolNotFound):
        why(discover(root), "noSuchFunction", "production")
    # A near miss of a Go or TypeScript name is suggested, as Python names are.
    with pytest.raises(SymbolNotFound) as err:
        why(discover(root), "CreateKafkaProduce", "production")
    assert err.value.hint is not None and "CreateKafkaProducer" in err.value.hint
    ts = planted(tmp_path / "ts", BILLING, "DATABASE_URL=postgres://db/app\n")
    with pytest.raises(SymbolNotFound) as err:
        why(discover(ts), "getInvoiceRoute", "production")
    assert err.value.hint is not None and "getInvoicesRoute" in err.value.hint


T3_ENV = {
    "src/env.mjs": """
        import { createEnv } from "@t3-oss/env-nextjs";
        import { z } from "zod";

        export const env = createEnv({
          server: {
            DATABASE_URL: z.string().url(),
            BILLING_PROVIDER: z.enum(["stripe", "none"]).default("none"),
            ENABLE_SIGNUPS: z.enum(["true", "false"]).default("true").transform((v) => v === "true"),
            CRON_ENABLED: z.stringbool().default("false"),
          },
          runtimeEnv: process.env,
        });
        """,
    "src/server/jobs.ts": """
        import { Worker } from "bullmq";
        import cron from "node-cron";
        import { env } from "../env.mjs";

        export async function sendInvoices(job) {
          await stripe.invoices.send(job.data.id);
        }

        export async function purgeSessions() {
          await db.session.deleteMany({});
        }

        export async function signup(req) {
          if (!env.ENABLE_SIGNUPS) {
            throw new Error("signups are closed");
          }
          return createUser(req.body);
        }

        if (env.BILLING_PROVIDER === "stripe") {
          new Worker("invoices", sendInvoices);
        }

        if (env.CRON_ENABLED) {
          cron.schedule("0 * * * *", purgeSessions);
        }

        app.post("/signup", signup);
        """,
}


def test_t3_env_schema_defaults_and_boolean_transforms(tmp_path: Path) -> None:
    root = planted(tmp_path, T3_ENV, "DATABASE_URL=postgres://db/app\n")
    assert answer(root, "sendInvoices") == ("BLOCKED", "BILLING_PROVIDER")  # .default("none")
    assert answer(root, "signup") == ("REACHABLE", None)  # .default("true") → true
    assert answer(root, "purgeSessions") == ("BLOCKED", "CRON_ENABLED")  # "false" is not truthy here
    (tmp_path / "svc/.env.production").write_text(
        "BILLING_PROVIDER=stripe\nENABLE_SIGNUPS=false\nCRON_ENABLED=yes\n"
    )
    assert answer(root, "sendInvoices") == ("REACHABLE", None)
    assert answer(root, "signup") == ("BLOCKED", "ENABLE_SIGNUPS")
    assert answer(root, "purgeSessions") == ("REACHABLE", None)


def test_go_parsebool_gate_at_the_top_and_a_handler_registered_under_getenv(tmp_path: Path) -> None:
    files = {
        "api/main.go": """
            package main

            import (
                "log"
                "net/http"
                "os"
                "strconv"
            )

            func startMetrics() {
                enabled, _ := strconv.ParseBool(os.Getenv("METRICS_ENABLED"))
                if !enabled {
                    return
                }
                log.Println("metrics on")
            }

            func adminHandler(w http.ResponseWriter, r *http.Request) {}

            func main() {
                mux := http.NewServeMux()
                if os.Getenv("ADMIN_UI") == "on" {
                    mux.HandleFunc("/admin", adminHandler)
                }
                port := os.Getenv("PORT")
                if port == "" {
                    log.Fatal("PORT is required")
                }
                go startMetrics()
                http.ListenAndServe(":"+port, mux)
            }
            """,
    }
    root = planted(tmp_path, files, "PORT=8080\nMETRICS_ENABLED=false\n")
    assert answer(root, "startMetrics") == ("BLOCKED", "METRICS_ENABLED")
    assert answer(root, "adminHandler") == ("BLOCKED", "ADMIN_UI")
    (tmp_path / "svc/.env.production").write_text("PORT=8080\nMETRICS_ENABLED=true\nADMIN_UI=on\n")
    assert answer(root, "startMetrics") == ("REACHABLE", None)
    assert answer(root, "adminHandler") == ("REACHABLE", None)
    # log.Fatal leaves main when PORT is unset: a required key, so it crashes (not a switch).
    (tmp_path / "svc/.env.production").write_text("METRICS_ENABLED=true\n")
    result = why(discover(root), "startMetrics", "production")
    assert result.verdict == "CRASHES"
    assert [(b.kind, b.key) for b in result.blockers] == [("missing", "PORT")]


def test_commonjs_export_called_through_a_grpc_handler(tmp_path: Path) -> None:
    files = {
        "payment/charge.js": """
            const { OpenFeature } = require('@openfeature/server-sdk');

            module.exports.charge = async request => {
              const numberVariant = await OpenFeature.getClient().getNumberValue('paymentFailure', 0);
              if (numberVariant > 0 && Math.random() < numberVariant) {
                throw new Error('Payment request failed. Invalid token.');
              }
              return { transactionId: request.id };
            };
            """,
        "payment/index.js": """
            const grpc = require('@grpc/grpc-js')
            const charge = require('./charge')

            async function chargeServiceHandler(call, callback) {
              const response = await charge.charge(call.request)
              callback(null, response)
            }

            const server = new grpc.Server()
            if (process.env.PAYMENT_MODE !== 'disabled') {
              server.addService(otelDemoPackage.oteldemo.PaymentService.service, { charge: chargeServiceHandler })
            }
            """,
    }
    root = planted(tmp_path, files, "PAYMENT_PORT=50051\n")
    # The flag test inside reads a feature-flag service, not the env: data, not a switch.
    assert answer(root, "payment/charge.js:charge") == ("REACHABLE", None)
    (tmp_path / "svc/.env.production").write_text("PAYMENT_MODE=disabled\n")
    assert answer(root, "charge") == ("BLOCKED", "PAYMENT_MODE")


def test_a_name_in_more_files_than_parity_reads_is_never_called_blocked(tmp_path: Path) -> None:
    from parity.code.why_corpus import MAX_FILES

    files = {
        "src/notify.ts": "export function notify(msg) {\n  return send(msg);\n}\n",
        "src/a_cron.ts": """
            import { notify } from './notify';
            if (process.env.CRON_ENABLED === 'true') {
              cron.schedule('* * * * *', () => notify('tick'));
            }
            """,
    }
    # Many more files that name it (comments, other notify helpers): the open path may be in one
    # that was not read, so a closed path read first says UNKNOWN, not BLOCKED.
    for i in range(MAX_FILES + 5):
        files[f"src/z{i:03}.ts"] = f"// notify is documented in docs/{i}.md\nexport const v{i} = {i};\n"
    root = planted(tmp_path, files, "PORT=3000\n")
    assert answer(root, "notify") == ("UNKNOWN", None)
    (tmp_path / "svc/.env.production").write_text("CRON_ENABLED=true\n")
    assert answer(root, "notify") == ("REACHABLE", None)


def test_job_definition_object_in_a_registry_with_a_lazily_imported_handler(tmp_path: Path) -> None:
    files = {
        "jobs/definitions/seal-document.handler.ts": """
            import { signPdf } from '../../signing';

            export const run = async ({ payload, io }) => {
              const { envelopeId } = await io.runTask('seal-document', async () => {
                return await sealEnvelope(payload.documentId);
              });
              return envelopeId;
            };

            const sealEnvelope = async (documentId) => {
              return await signPdf({ pdf: await loadPdf(documentId) });
            };
            """,
        "jobs/definitions/seal-document.ts": """
            export const SEAL_DOCUMENT_JOB_DEFINITION = {
              id: 'internal.seal-document',
              trigger: { name: 'internal.seal-document' },
              handler: async ({ payload, io }) => {
                const handler = await import('./seal-document.handler');
                await handler.run({ payload, io });
              },
            } as const satisfies JobDefinition;
            """,
        "jobs/client.ts": """
            import { SEAL_DOCUMENT_JOB_DEFINITION } from './definitions/seal-document';
            import { SEND_EMAIL_JOB_DEFINITION } from './definitions/send-email';

            export const jobsClient = new JobClient([SEND_EMAIL_JOB_DEFINITION, SEAL_DOCUMENT_JOB_DEFINITION] as const);
            """,
        "signing/index.ts": """
            export const signPdf = async ({ pdf }) => {
              if (process.env.SIGNING_DISABLED === 'true') {
                return pdf;
              }
              return await pdf.sign();
            };
            """,
    }
    root = planted(tmp_path, files, "PORT=3000\n")
    # signPdf ← sealEnvelope ← the runTask callback ← run ← handler.run (import()) ← the job
    # definition ← new JobClient([...]) at module level.
    assert answer(root, "sealEnvelope") == ("REACHABLE", None)
    assert answer(root, "signPdf") == ("REACHABLE", None)
    result = why(discover(root), "sealEnvelope", "production")
    assert result.steps[-1].kind == "registered" and result.steps[-1].file == "svc/jobs/client.ts"


def test_plugin_router_behind_two_credentials_with_deprecated_aliases(tmp_path: Path) -> None:
    files = {
        "plugins/slack/server/env.ts": """
            import environment from "@server/utils/environment";

            class SlackPluginEnvironment extends Environment {
              public SLACK_CLIENT_ID = this.toOptionalString(
                environment.SLACK_CLIENT_ID ?? environment.SLACK_KEY
              );
              public SLACK_CLIENT_SECRET = this.toOptionalString(
                environment.SLACK_CLIENT_SECRET ?? environment.SLACK_SECRET
              );
              public SLACK_UPLOAD_MAX_SIZE =
                this.toOptionalNumber(environment.SLACK_UPLOAD_MAX_SIZE) ?? 1000000;
            }

            export default new SlackPluginEnvironment();
            """,
        "plugins/slack/server/api/hooks.ts": """
            import Router from "koa-router";
            const router = new Router();

            router.post("hooks.unfurl", verifySlackToken(), async (ctx: APIContext) => {
              ctx.body = await unfurl(ctx.input.body);
            });

            export default router;
            """,
        "plugins/slack/server/index.ts": """
            import hooks from "./api/hooks";
            import env from "./env";

            const enabled = !!env.SLACK_CLIENT_ID && !!env.SLACK_CLIENT_SECRET && !!env.SLACK_UPLOAD_MAX_SIZE;

            if (enabled) {
              PluginManager.add([{ type: Hook.API, value: hooks }]);
            }
            """,
    }
    root = planted(tmp_path, files, "NODE_ENV=production\n")
    result = why(discover(root), "hooks.unfurl", "production")
    assert result.verdict == "BLOCKED"
    # Both credentials, not their deprecated aliases, and not the size that has a default.
    assert result.blockers[0].key == "SLACK_CLIENT_ID"
    assert result.blockers[0].fix == (
        "set SLACK_CLIENT_ID and SLACK_CLIENT_SECRET in svc/.env.production (any non-empty value opens it)"
    )
    (tmp_path / "svc/.env.production").write_text("SLACK_KEY=k\nSLACK_SECRET=s\n")
    assert answer(root, "hooks.unfurl") == ("REACHABLE", None)


def test_a_hostile_deeply_nested_test_is_unknown_not_a_crash(tmp_path: Path) -> None:
    deep = "(" * 3000 + "process.env.X === 'on'" + " || process.env.Y === 'on')" * 3000
    files = {
        "src/job.ts": f"export function job() {{\n  if (!{deep}) {{\n    throw new Error('off');\n  }}\n}}\n"
        "app.get('/job', job);\n"
    }
    root = planted(tmp_path, files, "X=on\n")
    assert answer(root, "job") == ("UNKNOWN", None)
