"""Policy tests over the Terraform, read with python-hcl2 (``terraform validate`` needs the
provider, which cannot be downloaded here): the message topology comes from topology.json and
nothing else, pushes are signed and dead-lettered, no basic roles, allUsers only where the
outside world calls, the bridge is one always-on instance behind a static address, each secret is
read by exactly its readers, and the Scheduler signs every call."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

import pytest

from mats.domain.optimization import RunStatus
from mats.settings.backtests import CloudStoragePrefix, parse_backtest_location
from mats.settings.schedule import ScheduleSettings
from tests.infra.terraform import (
    ROOT,
    TERRAFORM,
    TOPOLOGY,
    block,
    dynamic_blocks,
    locals_of,
    parsed,
    plain,
    resources,
    roles_of,
    tf_files,
    walk,
)

BASIC_ROLES = {"roles/owner", "roles/editor", "roles/viewer"}
PUBLIC_MEMBERS = {"allUsers", "allAuthenticatedUsers"}
# The only services the outside world calls: the webhook, and the API the hosting site calls.
PUBLIC_SERVICES = {"ingest", "dashboard-api"}
WORKLOAD_OF_FUNCTION = {"dashboard-api": "dashboard"}  # Same code, deployed twice.


def _normalised(expression: str) -> str:
    return re.sub(r"\s+", " ", expression).strip()


def test_every_tf_file_parses_and_the_layout_has_modules_and_both_environments() -> None:
    files = tf_files()
    for path in files:
        assert isinstance(parsed(path), dict), path

    relative = {str(path.relative_to(TERRAFORM)) for path in files}
    for environment in ("dev", "prod"):
        assert f"environments/{environment}/main.tf" in relative
        backend = parsed(TERRAFORM / "environments" / environment / "backend.tf")
        (terraform,) = backend["terraform"]
        assert "gcs" in str(terraform["backend"][0]), f"{environment} keeps its state in GCS"
    assert {path.split("/")[1] for path in relative if path.startswith("modules/")} >= {
        "topology",
        "pubsub",
        "network",
        "pipeline",
    }


# The message topology ---------------------------------------------------------------------------


def test_topology_module_reads_topology_json_and_is_the_only_declaration() -> None:
    topology = locals_of("topology")

    assert _normalised(topology["topology"]) == (
        '${jsondecode(file("${path.module}/../../../pubsub/topology.json"))}'
    )
    resolved = (TERRAFORM / "modules" / "topology" / "../../../pubsub/topology.json").resolve()
    assert resolved == TOPOLOGY
    # Every topic, and every subscription on exactly one side of push/pull.
    assert _normalised(topology["topics"]) == (
        "${{for topic in local.topology.topics : topic.name => topic}}"
    )
    push = _normalised(topology["push_subscriptions"])
    pull = _normalised(topology["pull_subscriptions"])
    condition = "try(subscription.push_function, null)"
    assert push.endswith(f"if {condition} != null}}}}")
    assert pull.endswith(f"if {condition} == null}}}}")
    assert push.replace("!=", "==") == pull, "push and pull must partition the subscriptions"


def test_only_the_pubsub_module_declares_topics_and_subscriptions_each_over_the_topology() -> None:
    declared = resources("google_pubsub_topic") + resources("google_pubsub_subscription")
    by_address = {resource.address: resource.body.get("for_each") for resource in declared}

    assert by_address == {
        "modules/pubsub/main.tf: google_pubsub_topic.topic": "${local.topics}",
        "modules/pubsub/main.tf: google_pubsub_subscription.push": "${local.push_subscriptions}",
        "modules/pubsub/main.tf: google_pubsub_subscription.pull": "${local.pull_subscriptions}",
    }
    pubsub = locals_of("pubsub")
    for name in ("topics", "push_subscriptions", "pull_subscriptions", "dead_lettered"):
        assert pubsub[name] == f"${{module.topology.{name}}}"
    for resource in declared:
        assert resource.body["name"] == "${each.key}", resource.address


def test_every_push_subscription_signs_with_oidc_and_dead_letters_unless_on_a_dl_topic() -> None:
    (push,) = [r for r in resources("google_pubsub_subscription") if r.name == "push"]

    oidc = block(push.body, "push_config", "oidc_token")
    assert oidc["service_account_email"] == "${var.push_service_account_email}"
    assert oidc["audience"].startswith("${var.push_audiences[")
    (dead_letter,) = dynamic_blocks(push.body, "dead_letter_policy")
    assert "local.dead_lettered" in dead_letter["for_each"]
    content = block(dead_letter, "content")
    assert "google_pubsub_topic.topic[" in content["dead_letter_topic"]
    assert "max_delivery_attempts" in content
    assert "retry_policy" in push.body

    # Which push subscriptions dead-letter follows from the topology: all but the dashboard's
    # pushes of dead-letter topics (a dead-letter topic has none; its hold keeps every message).
    dead_lettered = _normalised(locals_of("topology")["dead_lettered"])
    assert "local.push_subscriptions" in dead_lettered
    assert "if try(local.topics[subscription.topic].dead_letter_topic, null) != null" in (
        dead_lettered
    )
    topology = json.loads(TOPOLOGY.read_text())
    dead_letter_topics = {
        t["dead_letter_topic"] for t in topology["topics"] if "dead_letter_topic" in t
    }
    for subscription in topology["subscriptions"]:
        if "push_function" in subscription and subscription["topic"] in dead_letter_topics:
            assert "max_delivery_attempts" not in subscription, subscription["name"]


def test_the_pubsub_service_agent_may_publish_dead_letters_and_ack_their_source() -> None:
    bindings = {r.name: r.body for r in resources(under="modules/pubsub")}

    publisher = bindings["dead_letter_publisher"]
    assert publisher["for_each"] == "${local.dead_letter_topics}"
    assert publisher["role"] == "roles/pubsub.publisher"
    assert publisher["member"] == "${local.pubsub_agent}"
    subscriber = bindings["dead_letter_subscriber"]
    assert subscriber["for_each"] == "${local.dead_lettered}"
    assert subscriber["role"] == "roles/pubsub.subscriber"
    assert "gcp-sa-pubsub.iam.gserviceaccount.com" in locals_of("pubsub")["pubsub_agent"]


def test_every_push_target_of_the_topology_has_an_endpoint_and_an_audience() -> None:
    topology = json.loads(TOPOLOGY.read_text())
    targets = {s["push_function"] for s in topology["subscriptions"] if "push_function" in s}
    outputs = {}
    for path in (TERRAFORM / "modules" / "pipeline").glob("*.tf"):
        for output in parsed(path).get("output", []):
            outputs.update(output)

    endpoints = outputs['"push_endpoints"']["value"]
    for target in targets:
        assert f'"{target}"' in endpoints, target
    assert set(re.findall(r'"([a-z-]+)"', endpoints)) == targets


# IAM --------------------------------------------------------------------------------------------


def test_no_basic_role_is_granted_anywhere() -> None:
    for path in tf_files():
        for at, value in walk(parsed(path)):
            if isinstance(value, str):
                for role in BASIC_ROLES:
                    assert f'"{role}"' not in value, f"{path}{at}: {role}"
    for resource in resources():
        assert not set(roles_of(resource)) & BASIC_ROLES, resource.address


def test_all_users_is_granted_only_to_the_webhook_and_the_hosting_sites_api() -> None:
    mentions = [
        (path, at)
        for path in tf_files()
        for at, value in walk(parsed(path))
        if isinstance(value, str) and any(member in value for member in PUBLIC_MEMBERS)
    ]
    locals_file = TERRAFORM / "modules" / "pipeline" / "locals.tf"
    # The invoker table, and the one expression that turns its "allUsers" into the member.
    assert {(path, at.split(".")[2]) for path, at in mentions} == {
        (locals_file, "invokers"),
        (locals_file, "invoker_grants"),
    }
    invokers = locals_of("pipeline")["invokers"]
    public = {service for service, callers in invokers.items() if "allUsers" in callers}
    assert public == PUBLIC_SERVICES
    for service in PUBLIC_SERVICES:
        assert invokers[service] == ["allUsers"], "a public service needs no other invoker"
    for resource in resources():
        member = resource.body.get("member")
        members = resource.body.get("members", [])
        for value in [member, *members]:
            assert value not in PUBLIC_MEMBERS, resource.address


def test_run_invoker_is_granted_only_from_the_invoker_table() -> None:
    grants = [r for r in resources() if r.body.get("role") == "roles/run.invoker"]

    assert {(r.type, r.name) for r in grants} == {
        ("google_cloud_run_v2_service_iam_member", "function_invoker"),
        ("google_cloud_run_v2_service_iam_member", "bridge_invoker"),
    }
    for grant in grants:
        assert "local.invoker_grants" in grant.body["for_each"]
        assert grant.body["member"] == "${each.value.member}"
    invokers = locals_of("pipeline")["invokers"]
    workloads = set(locals_of("pipeline")["workloads"])
    for service, callers in invokers.items():
        for caller in callers:
            assert caller in workloads | {"operators", "allUsers"}, (service, caller)
    assert invokers["cerebro"] == ["pusher"], "only Pub/Sub calls Cerebro"


def test_project_level_grants_are_only_the_narrow_ones() -> None:
    allowed = {
        "roles/datastore.user",  # Firestore has no per-collection IAM.
        "roles/logging.logWriter",
        "roles/monitoring.metricWriter",
        "roles/artifactregistry.writer",  # The function builder.
        "roles/secretmanager.secretAccessor",  # Conditional: senders' signing keys only.
        "roles/secretmanager.viewer",  # The same condition: their versions' metadata.
        "${google_project_iam_custom_role.nightly_schedule.id}",
        "roles/run.viewer",  # Read only, for the health page: the API's account alone.
        "roles/monitoring.viewer",  # The same: the subscriptions' backlog metrics.
    }
    health_readers = {"roles/run.viewer", "roles/monitoring.viewer"}
    for resource in resources("google_project_iam_member") + resources(
        "google_project_iam_binding"
    ):
        roles = roles_of(resource)
        assert roles, resource.address
        assert set(roles) <= allowed, resource.address
        if set(roles) & health_readers:
            assert 'workload["dashboard-api"]' in resource.body["member"], resource.address
        if set(roles) & {"roles/secretmanager.secretAccessor", "roles/secretmanager.viewer"}:
            condition = block(resource.body, "condition")
            assert "/secrets/sender-" in condition["expression"], resource.address
    assert not resources("google_project_iam_policy"), "never replace the project's policy"


def test_one_service_account_per_workload() -> None:
    (accounts,) = [r for r in resources("google_service_account") if r.name == "workload"]
    assert accounts.body["for_each"] == "${local.workloads}"
    assert accounts.body["account_id"] == "mats-${each.key}"
    workloads = set(locals_of("pipeline")["workloads"])
    assert workloads >= {"ingest", "cerebro", "optimizer", "dashboard", "bridge", "ib-gateway"}

    for function in resources("google_cloudfunctions2_function"):
        service_config = block(function.body, "service_config")
        assert service_config["service_account_email"] == (
            "${google_service_account.workload[each.key].email}"
        )
    bridge = _bridge()
    assert block(bridge, "template")["service_account"] == (
        '${google_service_account.workload["bridge"].email}'
    )
    (gateway,) = resources("google_compute_instance")
    assert block(gateway.body, "service_account")["email"] == (
        '${google_service_account.workload["ib-gateway"].email}'
    )


# The bridge -------------------------------------------------------------------------------------


def _bridge() -> dict[str, Any]:
    (bridge,) = resources("google_cloud_run_v2_service")
    return bridge.body


def test_the_bridge_is_one_instance_with_cpu_always_allocated() -> None:
    template = block(_bridge(), "template")

    scaling = block(template, "scaling")
    assert (scaling["min_instance_count"], scaling["max_instance_count"]) == (1, 1)
    resources_block = block(template, "containers", "resources")
    assert resources_block["cpu_idle"] is False
    probe = block(template, "containers", "startup_probe", "http_get")
    assert probe["path"] == "/healthz"


def test_the_bridge_leaves_only_through_cloud_nat_on_a_reserved_address() -> None:
    vpc = block(block(_bridge(), "template"), "vpc_access")
    assert vpc["egress"] == "ALL_TRAFFIC"
    interface = block(vpc, "network_interfaces")
    assert interface["subnetwork"] == "${var.subnet_id}"

    (nat,) = resources("google_compute_router_nat")
    assert nat.body["nat_ip_allocate_option"] == "MANUAL_ONLY"
    assert nat.body["nat_ips"] == ["${google_compute_address.egress.self_link}"]
    (address,) = resources("google_compute_address")
    assert address.body["address_type"] == "EXTERNAL"
    assert block(nat.body, "subnetwork")["name"] == "${google_compute_subnetwork.subnet.id}"
    for environment in ("dev", "prod"):
        (module,) = [
            m
            for m in parsed(TERRAFORM / "environments" / environment / "main.tf")["module"]
            if '"pipeline"' in m
        ]
        assert module['"pipeline"']["subnet_id"] == "${module.network.subnet_id}"


def test_the_ib_gateway_vm_has_no_public_address_and_only_the_subnet_reaches_its_api() -> None:
    (gateway,) = resources("google_compute_instance")
    interface = block(gateway.body, "network_interface")
    assert "access_config" not in interface
    firewalls = {r.name: r.body for r in resources("google_compute_firewall")}
    api = firewalls["bridge_to_gateway"]
    assert api["source_ranges"] == ["${var.subnet_cidr}"]
    for name, rule in firewalls.items():
        if rule.get("source_ranges") == ["0.0.0.0/0"]:
            assert "deny" in rule, name
            assert "allow" not in rule, name


# Secrets ----------------------------------------------------------------------------------------


def _deployable_sections() -> dict[str, set[str]]:
    """What each deployable reads, from mats.settings' own list (its module docstring)."""
    text = (ROOT / "src" / "mats" / "settings" / "__init__.py").read_text()
    listing = text.split("What each deployable")[1].split('"""')[0]
    sections: dict[str, set[str]] = {}
    for item in re.split(r"\n- ", listing)[1:]:
        name, _, rest = item.partition(":")
        sections[name.strip()] = set(re.findall(r"``(\w+)``", rest))
    return sections


# The settings section each secret's variable belongs to (mats.settings.shared, .bridge).
SECTION_OF_VARIABLE = {"MATS_TELEGRAM_BOT_TOKEN": "notifications", "MATS_CCXT_": "bridge"}
DEPLOYABLE_OF_WORKLOAD = {
    "ingest": "ingest",
    "cerebro": "cerebro",
    "optimizer": "optimizer",
    "dashboard": "dashboard",
    "dashboard-api": "dashboard",
    "bridge": "the bridge",
}


def _readers_by_code(variable: str) -> set[str]:
    sections = _deployable_sections()
    (section,) = [s for prefix, s in SECTION_OF_VARIABLE.items() if variable.startswith(prefix)]
    return {
        workload
        for workload, deployable in DEPLOYABLE_OF_WORKLOAD.items()
        if section in sections[deployable]
    }


def test_every_secret_is_read_by_exactly_the_workloads_whose_code_reads_it() -> None:
    pipeline = locals_of("pipeline")
    declared = dict(pipeline["fixed_secrets"])
    for kind, spec in pipeline["ccxt_secret_kinds"].items():
        declared[f"ccxt-VENUE-{kind}"] = {**spec, "env": f"MATS_CCXT_VENUE_{spec['env']}"}

    assert declared, "no secrets declared"
    for name, spec in declared.items():
        if spec["env"].startswith("TWS_"):
            # Read by the gateway VM's startup script, nothing else.
            assert spec["readers"] == ["ib-gateway"], name
            script = (
                TERRAFORM / "modules" / "pipeline" / "ib_gateway_startup.sh.tftpl"
            ).read_text()
            assert name in script
            continue
        assert set(spec["readers"]) == _readers_by_code(spec["env"]), name


def test_secret_grants_and_mounts_come_from_the_one_secret_table() -> None:
    secret_roles = {"roles/secretmanager.secretAccessor", "roles/secretmanager.viewer"}
    grants = [r for r in resources() if set(roles_of(r)) & secret_roles]
    assert {(r.type, r.name) for r in grants} == {
        ("google_secret_manager_secret_iam_member", "reader"),
        ("google_project_iam_member", "ingest_reads_signing_keys"),
    }
    assert set(locals_of("pipeline")["secret_reader_roles"]) == secret_roles
    (reader,) = [r for r in grants if r.name == "reader"]
    assert reader.body["for_each"] == "${local.secret_grants}"
    assert reader.body["role"] == "${each.value.role}"
    assert "each.value.reader" in reader.body["member"]
    (signing,) = [r for r in grants if r.name == "ingest_reads_signing_keys"]
    assert signing.body["for_each"] == "${toset(local.secret_reader_roles)}"
    assert 'google_service_account.workload["ingest"].email' in signing.body["member"]
    assert "/secrets/sender-" in block(signing.body, "condition")["expression"]
    # What each workload is given: the values it mounts and the names it reads, both from the
    # one table, split by by_name.
    pipeline = locals_of("pipeline")
    assert "!config.by_name" in pipeline["secrets_of"]
    assert "&& config.by_name" in pipeline["secret_names_of"]
    for function in resources("google_cloudfunctions2_function"):
        service_config = block(function.body, "service_config")
        (mount,) = dynamic_blocks(service_config, "secret_environment_variables")
        assert mount["for_each"] == "${local.secrets_of[each.key]}"
        assert "local.secret_names_of[each.key]" in service_config["environment_variables"]
    containers = block(block(_bridge(), "template"), "containers")
    environments = [d["for_each"] for d in dynamic_blocks(containers, "env")]
    assert '${local.secrets_of["bridge"]}' in environments
    assert any('local.secret_names_of["bridge"]' in e for e in environments)
    # No secret value anywhere in Terraform: secrets get versions from `mats secrets set`.
    assert not resources("google_secret_manager_secret_version")


def test_a_secret_read_by_name_is_a_variable_its_reader_knows() -> None:
    from mats.settings.shared import notification_config  # noqa: PLC0415 - the reader itself.

    for name, spec in locals_of("pipeline")["fixed_secrets"].items():
        if spec["by_name"]:
            config = notification_config({f"{spec['env']}_SECRET": name})
            assert config.telegram_bot_token_secret == name


def test_no_secret_value_is_written_in_terraform() -> None:
    pattern = re.compile(r"(password|token|api_key|secret)\s*=\s*\"[^\"$]{8,}\"", re.IGNORECASE)
    for path in tf_files():
        for line in path.read_text().splitlines():
            assert not pattern.search(line), f"{path}: {line.strip()}"


# Backtests in Cloud Storage --------------------------------------------------------------------


def test_the_backtests_bucket_is_private_uniform_and_versioned() -> None:
    (bucket,) = [r for r in resources("google_storage_bucket") if r.name == "backtests"]

    assert bucket.body["uniform_bucket_level_access"] is True
    assert bucket.body["public_access_prevention"] == "enforced"
    assert block(bucket.body, "versioning")["enabled"] is True
    assert bucket.body["force_destroy"] is False


def test_only_the_workloads_whose_code_syncs_backtests_read_the_bucket_and_are_told_where() -> None:
    pipeline = locals_of("pipeline")
    sections = _deployable_sections()
    syncing = {
        workload
        for workload, deployable in DEPLOYABLE_OF_WORKLOAD.items()
        if "backtest_location" in sections[deployable]
    }
    assert syncing == {"optimizer"}
    assert set(pipeline["backtest_readers"]) == syncing

    grants = {
        r.name: r.body
        for r in resources("google_storage_bucket_iam_member")
        if "google_storage_bucket.backtests" in r.body["bucket"]
    }
    assert set(grants) == {"backtest_reader", "backtest_uploader"}
    assert grants["backtest_reader"]["for_each"] == "${toset(local.backtest_readers)}"
    assert grants["backtest_reader"]["role"] == "roles/storage.objectViewer"
    assert "google_service_account.workload[each.key]" in grants["backtest_reader"]["member"]
    # People upload the files; objectUser touches objects only, never the bucket or its IAM.
    assert grants["backtest_uploader"]["for_each"] == "${toset(var.operator_members)}"
    assert grants["backtest_uploader"]["role"] == "roles/storage.objectUser"

    location = pipeline["backtest_environment"]["MATS_BACKTEST_DIR"]
    assert location == "gs://${google_storage_bucket.backtests.name}/"
    assert parse_backtest_location(
        location.replace("${google_storage_bucket.backtests.name}", "demo-mats-backtests"),
        "MATS_BACKTEST_DIR",
    ) == CloudStoragePrefix("demo-mats-backtests")
    (function,) = resources("google_cloudfunctions2_function")
    environment = _normalised(block(function.body, "service_config")["environment_variables"])
    assert (
        "contains(local.backtest_readers, each.key) ? local.backtest_environment : {}"
        in environment
    )
    setters = {
        path
        for path in tf_files()
        for at, value in walk(parsed(path))
        if "MATS_BACKTEST_DIR" in at or (isinstance(value, str) and "MATS_BACKTEST_DIR" in value)
    }
    assert setters == {TERRAFORM / "modules" / "pipeline" / "backtests.tf"}


# Scheduler, functions, Firestore ----------------------------------------------------------------


def test_every_scheduler_job_calls_over_http_with_an_oidc_token() -> None:
    jobs = resources("google_cloud_scheduler_job")
    assert {job.name for job in jobs} == {"job", "nightly"}
    for job in jobs:
        assert "pubsub_target" not in job.body, job.address
        target = block(job.body, "http_target")
        assert "oauth_token" not in target
        oidc = block(target, "oidc_token")
        assert oidc["service_account_email"] == (
            '${google_service_account.workload["scheduler"].email}'
        )
        assert oidc["audience"].startswith("${local.url"), job.address
        assert target["uri"].startswith(oidc["audience"].removesuffix("}")), job.address
    scheduled = locals_of("pipeline")["scheduled"]
    assert set(scheduled) == {"mats-hourly-snapshot", "mats-nav-strike", "mats-month-end"}
    (nightly,) = [job for job in jobs if job.name == "nightly"]
    assert nightly.body["name"] == "mats-nightly-optimization"


def _routes(function: str) -> set[str]:
    """The paths a function routes: the keys of the route tables in its main.py."""
    tree = ast.parse((ROOT / "functions" / function / "main.py").read_text())
    return {
        key.value
        for node in ast.walk(tree)
        if isinstance(node, ast.Dict)
        for key in node.keys
        if isinstance(key, ast.Constant) and str(key.value).startswith("/")
    }


def test_every_scheduler_job_calls_a_route_its_function_has() -> None:
    scheduled = locals_of("pipeline")["scheduled"]
    (job,) = [j for j in resources("google_cloud_scheduler_job") if j.name == "job"]
    assert (
        block(job.body, "http_target")["uri"] == "${local.url[each.value.target]}${each.value.path}"
    )
    calls = {(spec["target"], spec["path"]) for spec in scheduled.values()}
    (nightly,) = [j for j in resources("google_cloud_scheduler_job") if j.name == "nightly"]
    uri = block(nightly.body, "http_target")["uri"]
    target, path = re.fullmatch(r"\$\{local\.url\.(\w+)\}(/[\w/-]+)", uri).groups()
    calls.add((target, path))

    assert calls == {
        ("dashboard", "/snapshot"),
        ("dashboard", "/strike"),
        ("dashboard", "/month-end"),
        ("optimizer", "/run"),
    }
    for target, path in calls:
        assert path in _routes(target), (target, path)
        assert "scheduler" in locals_of("pipeline")["invokers"][target], target


def test_the_nightly_job_is_the_one_the_schedule_adapter_names() -> None:
    (nightly,) = [job for job in resources("google_cloud_scheduler_job") if job.name == "nightly"]
    assert nightly.body["name"] == ScheduleSettings.job
    assert locals_of("pipeline")["schedule_environment"]["MATS_NIGHTLY_JOB"] == ScheduleSettings.job


def test_ingest_and_cerebro_keep_warm_instances_in_prod() -> None:
    (prod,) = [
        m
        for m in parsed(TERRAFORM / "environments" / "prod" / "main.tf")["module"]
        if '"pipeline"' in m
    ]
    assert prod['"pipeline"']["min_instances"] >= 1
    functions = TERRAFORM / "modules" / "pipeline" / "functions.tf"
    text = functions.read_text()
    for name in ("ingest", "cerebro"):
        entry = text.split(f"    {name} = {{")[1].split("}")[0]
        assert re.search(r"min\s*=\s*var\.min_instances,", entry), name
    cerebro = text.split("    cerebro = {")[1].split("}")[0]
    assert re.search(r'ingress\s*=\s*"ALLOW_INTERNAL_ONLY"', cerebro)


FIRESTORE_ADAPTERS = ROOT / "src" / "mats" / "adapters" / "firestore"


def test_firestore_is_native_with_pitr_and_delete_protection() -> None:
    (database,) = resources("google_firestore_database")
    assert database.body["type"] == "FIRESTORE_NATIVE"
    assert database.body["point_in_time_recovery_enablement"] == "POINT_IN_TIME_RECOVERY_ENABLED"
    assert database.body["delete_protection_state"] == "DELETE_PROTECTION_ENABLED"


@pytest.mark.parametrize(
    ("collection", "fields"),
    [
        # Each query of an adapter that filters on one field and orders on another.
        ("decisions", [("strategy_id", "ASCENDING"), ("decided_at", "DESCENDING")]),
        ("orders", [("account", "ASCENDING"), ("decided_at", "DESCENDING")]),
        ("orders", [("strategy_id", "ASCENDING"), ("decided_at", "DESCENDING")]),
        ("decision_sequence", [("account", "ASCENDING"), ("sequence", "DESCENDING")]),
        ("fills", [("account", "ASCENDING"), ("executed_at", "DESCENDING")]),
        ("signals", [("outbox_state", "ASCENDING"), ("received_at", "ASCENDING")]),
        ("signals", [("sender_id", "ASCENDING"), ("received_at", "DESCENDING")]),
        ("signal_pnl", [("sender_id", "ASCENDING"), ("as_of", "DESCENDING")]),
        ("account_history", [("account", "ASCENDING"), ("as_of", "DESCENDING")]),
        ("alerts", [("outstanding", "ASCENDING"), ("created_at", "DESCENDING")]),
        ("dead_letters", [("source_subscription", "ASCENDING"), ("received_at", "DESCENDING")]),
        ("payouts", [("sender_id", "ASCENDING"), ("month", "DESCENDING")]),
        ("payouts", [("sender_id", "ASCENDING"), ("crystallised_at", "DESCENDING")]),
        ("shortfall_orders", [("strategy_id", "ASCENDING"), ("decided_at", "DESCENDING")]),
        ("shortfall_orders", [("sender_id", "ASCENDING"), ("decided_at", "DESCENDING")]),
        (
            "fx_history",
            [
                ("base_currency", "ASCENDING"),
                ("quote_currency", "ASCENDING"),
                ("as_of", "DESCENDING"),
            ],
        ),
        ("portfolio_allocations", [("status", "ASCENDING"), ("created_at", "DESCENDING")]),
    ],
)
def test_the_composite_indexes_the_queries_need_are_declared(
    collection: str, fields: list[tuple[str, str]]
) -> None:
    indexes = locals_of("pipeline")["composite_indexes"]
    declared = [
        (index["collection"], [tuple(field) for field in index["fields"]])
        for index in indexes.values()
    ]
    assert (collection, fields) in declared


def test_every_composite_index_names_fields_the_adapters_use() -> None:
    source = "\n".join(
        path.read_text()
        for path in [
            *FIRESTORE_ADAPTERS.glob("*.py"),
            *(ROOT / "src" / "mats" / "services").rglob("*.py"),
        ]
    )
    for name, index in locals_of("pipeline")["composite_indexes"].items():
        assert f'"{index["collection"]}"' in source, (name, index["collection"])
        for field, order in index["fields"]:
            assert f'"{field}"' in source or f"{field.upper()} =" in source, (name, field)
            assert order in {"ASCENDING", "DESCENDING"}


def test_ttl_policies_are_on_the_fields_the_code_writes() -> None:
    signals = (FIRESTORE_ADAPTERS / "signals.py").read_text()
    for collection in locals_of("pipeline")["ttl_collections"]:
        assert collection in {"signal_keys", "signal_leases"}
    assert '"expire_at"' in signals
    (ttl,) = resources("google_firestore_field")
    assert ttl.body["field"] == "expire_at"
    assert "ttl_config" in ttl.body


def test_every_log_based_metric_watches_a_line_the_code_logs() -> None:
    source = "\n".join(path.read_text() for path in [*(ROOT / "src" / "mats").rglob("*.py")])
    services = {f"mats-{name}" for name in locals_of("pipeline")["workloads"]}
    watched = []
    for metric in resources("google_logging_metric"):
        text = metric.body["filter"].replace('\\"', '"')
        for message in re.findall(r'jsonPayload\.message="([^"]+)"', text):
            assert f'"{message}"' in source, (metric.name, message)
            watched.append(message)
        for service in re.findall(r'service_name="([^"]+)"', text):
            assert service in services, (metric.name, service)
        if "jsonPayload.status=" in text:
            assert 'jsonPayload.status="FAILED"' in text
            assert RunStatus.FAILED.value == "FAILED"
    assert sorted(watched) == ["ib connection failed", "nightly optimisation finished"]


def test_every_alert_notifies_someone() -> None:
    variables = parsed(TERRAFORM / "modules" / "pipeline" / "variables.tf")["variable"]
    (emails,) = [v['"alert_emails"'] for v in variables if '"alert_emails"' in v]
    (validation,) = emails["validation"]
    assert plain(validation["condition"]) == "${length(var.alert_emails) > 0}"


def test_firebase_hosting_uses_the_beta_provider() -> None:
    for kind in (
        "google_firebase_hosting_site",
        "google_firebase_project",
        "google_firebase_web_app",
    ):
        (resource,) = resources(kind)
        assert resource.body["provider"] == "google-beta", kind


def test_alert_policies_cover_each_failure_the_runbook_describes() -> None:
    policies = {r.name for r in resources("google_monitoring_alert_policy")}
    assert policies == {
        "function_errors",
        "dead_letters",
        "bridge_not_ready",
        "orders_waiting",
        "nightly_failed",
    }
    for policy in resources("google_monitoring_alert_policy"):
        assert policy.body["notification_channels"] == "${local.channels}", policy.address
    runbook = (ROOT / "docs" / "runbook.md").read_text()
    for title in (
        "function errors",
        "dead letters",
        "bridge not ready",
        "orders waiting",
        "nightly run failed",
    ):
        assert title in runbook.lower(), title


def test_the_environments_pass_every_variable_the_pipeline_requires() -> None:
    required = set()
    for path in (TERRAFORM / "modules" / "pipeline").glob("*.tf"):
        for variable in parsed(path).get("variable", []):
            for name, spec in variable.items():
                if "default" not in spec:
                    required.add(name.strip('"'))
    for environment in ("dev", "prod"):
        (module,) = [
            m
            for m in parsed(TERRAFORM / "environments" / environment / "main.tf")["module"]
            if '"pipeline"' in m
        ]
        missing = required - set(module['"pipeline"'])
        assert not missing, (environment, missing)


def test_the_staged_sources_path_is_where_make_stage_writes() -> None:
    for environment in ("dev", "prod"):
        directory = TERRAFORM / "environments" / environment
        (module,) = [m for m in parsed(directory / "main.tf")["module"] if '"pipeline"' in m]
        value = module['"pipeline"']["functions_build_dir"]
        relative = re.search(r"\$\{path\.root\}/([./a-z]+)", value)
        assert relative, value
        assert (directory / relative.group(1)).resolve() == ROOT / "build" / "functions"


def test_the_function_entry_points_exist_in_the_staged_sources() -> None:
    text = (TERRAFORM / "modules" / "pipeline" / "functions.tf").read_text()
    sources = set(re.findall(r'source\s*=\s*"(\w+)"', text))
    assert sources == {"ingest", "cerebro", "optimizer", "dashboard"}
    for source in sources:
        main = (ROOT / "functions" / source / "main.py").read_text()
        assert f"def {source}(" in main, source
