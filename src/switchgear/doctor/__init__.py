"""`switchgear doctor`: checks the config, the data dir, the store, Postgres and Redis, the
llama.cpp build against this CPU, the in-process engine, each provider and a running gateway,
and says what to fix.

Each check is a function returning `Finding`s (`findings.py`); this module runs them in order
and prints each line as soon as it is known, so a check that hangs or kills the process still
leaves the ones before it on the screen. A config that does not load stops the checks that
would read it: they would test the defaults instead, which is not what was asked about.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from switchgear.doctor.findings import Finding, format_json, format_text, passed


def run_doctor(config_path: str | None, gateway_url: str, as_json: bool) -> int:
    # What the engine and the stores log while loading is said again, better, in the findings.
    logging.getLogger("switchgear").setLevel(logging.ERROR)
    findings: list[Finding] = []

    def report(found: list[Finding]) -> None:
        findings.extend(found)
        if not as_json and found:
            print(format_text(found), flush=True)

    asyncio.run(_run_checks(config_path, gateway_url, report))
    if as_json:
        print(format_json(findings))
    return 0 if passed(findings) else 1


async def _run_checks(
    config_path: str | None, gateway_url: str, report: Callable[[list[Finding]], None]
) -> None:
    from switchgear.doctor import engine_check, local_checks
    from switchgear.doctor.http_checks import check_gateway, check_providers

    config, loaded = local_checks.check_config(config_path)
    report([loaded])
    if config is not None:
        report([local_checks.check_data_dir(config)])
        postgres = await asyncio.to_thread(local_checks.check_postgres, config)
        report(postgres)
        if not any(f.check == "postgres" and f.status == "fail" for f in postgres):
            report([await asyncio.to_thread(local_checks.check_store, config)])
        redis = await asyncio.to_thread(local_checks.check_redis, config)
        report([redis] if redis is not None else [])
        if engine_check.local_models(config):
            cpu = engine_check.check_cpu()
            report([cpu])
            if cpu.status != "fail":  # a build that would crash on this CPU is not started
                report(await engine_check.check_engines(config))
        report(await check_providers(config))
    report([await check_gateway(gateway_url)])


__all__ = ["Finding", "run_doctor"]
