locals {
  labels = { system = "mats", environment = var.environment }

  # Cloud Run's deterministic URL (https://SERVICE-PROJECT_NUMBER.REGION.run.app): known before
  # the service exists, so a service's own audience and the push endpoints need no cycle.
  url = { for name in ["ingest", "cerebro", "optimizer", "dashboard", "dashboard-api", "bridge"] :
    name => "https://mats-${name}-${var.project_number}.${var.region}.run.app"
  }

  # One service account per workload. `pusher` signs Pub/Sub pushes, `scheduler` the Scheduler's
  # calls; neither runs code.
  workloads = {
    ingest        = "The public webhook (functions/ingest)."
    cerebro       = "Cerebro, the sizer (functions/cerebro)."
    optimizer     = "The nightly optimiser (functions/optimizer)."
    dashboard     = "Accounting, Pub/Sub pushes and Scheduler calls (functions/dashboard)."
    dashboard-api = "The dashboard API behind Firebase Hosting (functions/dashboard, /api)."
    bridge        = "The execution bridge (gateway/ib_bridge on Cloud Run)."
    ib-gateway    = "The IB Gateway VM."
    pusher        = "Signs Pub/Sub push requests (OIDC)."
    scheduler     = "Signs Cloud Scheduler requests (OIDC)."
  }

  # Who may call each service at the Cloud Run level: a workload's account, "operators"
  # (var.operator_members) or allUsers. allUsers only where the outside world calls: the webhook
  # and the API the hosting site's pages call. tests/infra holds every service to this table.
  invokers = {
    ingest        = ["allUsers"]
    cerebro       = ["pusher"]
    optimizer     = ["pusher", "scheduler", "operators"]
    dashboard     = ["pusher", "scheduler", "operators"]
    dashboard-api = ["allUsers"]
    # The dashboard API asks the bridge for admins' cancels and reconciliations.
    bridge = ["pusher", "dashboard-api", "operators"]
  }
  # A workload or allUsers per service, then each operator for the services that take them.
  invoker_pairs = flatten([for service, callers in local.invokers : [
    for caller in callers : { service = service, caller = caller } if caller != "operators"
  ]])
  invoker_grants = merge(
    { for pair in local.invoker_pairs : "${pair.service}/${pair.caller}" => {
      service = pair.service
      member  = pair.caller == "allUsers" ? "allUsers" : "serviceAccount:${google_service_account.workload[pair.caller].email}"
    } },
    { for pair in setproduct([for service, callers in local.invokers : service if contains(callers, "operators")], var.operator_members) :
      "${pair[0]}/${pair[1]}" => { service = pair[0], member = pair[1] }
    },
  )

  # The callers each private service's own OIDC check accepts (MATS_OIDC_ALLOWED_EMAILS).
  allowed_callers = join(",", concat(
    [google_service_account.workload["pusher"].email, google_service_account.workload["scheduler"].email],
    var.operator_emails,
  ))

  # The bridge's own check also lets the dashboard API in (admins' cancels, reconciliations).
  bridge_callers = join(",", [local.allowed_callers, google_service_account.workload["dashboard-api"].email])

  ib_port = var.ib_trading_mode == "live" ? 4003 : 4004

  # Every secret, the variable it is read as, and who reads it. A workload is granted exactly
  # the secrets that name it here and its environment names exactly those; tests/infra holds
  # each reader to what its code reads (mats.settings). `by_name`: the workload gets the
  # secret's name ({env}_SECRET) and reads the newest enabled version at run time (cached 60 s,
  # so a rotation needs no restart); otherwise Cloud Run mounts the value at instance start.
  # The gateway VM reads its two itself, at boot.
  fixed_secrets = {
    telegram-bot-token = { env = "MATS_TELEGRAM_BOT_TOKEN", by_name = true, readers = ["cerebro", "dashboard", "dashboard-api", "bridge"] }
    ib-username        = { env = "TWS_USERID", by_name = false, readers = ["ib-gateway"] }
    ib-password        = { env = "TWS_PASSWORD", by_name = false, readers = ["ib-gateway"] }
  }
  # Each ccxt venue's credentials: secret ccxt-{venue}-{kind}, variable MATS_CCXT_{VENUE}_{env}.
  ccxt_secret_kinds = {
    api-key  = { env = "API_KEY", by_name = true, readers = ["bridge"] }
    secret   = { env = "SECRET", by_name = true, readers = ["bridge"] }
    password = { env = "PASSWORD", by_name = true, readers = ["bridge"] }
  }
  ccxt_secrets = merge({}, [for venue, config in var.ccxt_venues : {
    for kind, spec in local.ccxt_secret_kinds : "ccxt-${lower(venue)}-${kind}" => {
      env     = "MATS_CCXT_${upper(venue)}_${spec.env}"
      by_name = spec.by_name
      readers = spec.readers
    } if kind != "password" || config.password
  }]...)
  secrets = merge(local.fixed_secrets, local.ccxt_secrets)
  # A reader reads versions (accessor) and, when the newest is disabled, lists them to find the
  # newest enabled one (viewer: metadata only).
  secret_reader_roles = ["roles/secretmanager.secretAccessor", "roles/secretmanager.viewer"]
  secret_grants = merge({}, flatten([for secret, config in local.secrets : [
    for reader in config.readers : {
      for role in local.secret_reader_roles : "${secret}/${reader}/${role}" => { secret = secret, reader = reader, role = role }
    }
  ]])...)
  secrets_of = { for workload in keys(local.workloads) : workload => {
    for secret, config in local.secrets : config.env => secret if contains(config.readers, workload) && !config.by_name
  } }
  secret_names_of = { for workload in keys(local.workloads) : workload => {
    for secret, config in local.secrets : "${config.env}_SECRET" => secret if contains(config.readers, workload) && config.by_name
  } }

  ccxt_environment = length(var.ccxt_venues) == 0 ? {} : {
    MATS_CCXT_VENUES = join(",", [for venue, config in var.ccxt_venues : "${venue}=${config.exchange}:${config.account}"])
  }
  sandbox_environment = { for venue, config in var.ccxt_venues : "MATS_CCXT_${upper(venue)}_SANDBOX" => "true" if config.sandbox }

  common_environment = {
    GOOGLE_CLOUD_PROJECT = var.project_id
  }
  notification_environment = var.telegram_chat_id == "" ? {} : { MATS_TELEGRAM_CHAT_ID = var.telegram_chat_id }
  private_environment = {
    MATS_OIDC_ALLOWED_EMAILS = local.allowed_callers
  }
  schedule_environment = {
    MATS_SCHEDULER_LOCATION = var.region
    MATS_NIGHTLY_JOB        = "mats-nightly-optimization"
  }
  api_environment = {
    MATS_BRIDGE_URL          = local.url.bridge
    MATS_BRIDGE_AUDIENCE     = local.url.bridge
    MATS_FIREBASE_PROJECT    = var.project_id
    MATS_REGION              = var.region
    MATS_API_ALLOWED_ORIGINS = "https://${var.hosting_site_id}.web.app,https://${var.hosting_site_id}.firebaseapp.com"
  }
}
