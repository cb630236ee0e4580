"""Docker images built without a registry: a Debian base from debootstrap, one layer per task.

The base image is a debootstrap rootfs (python3, pytest, git, patch) imported with the engine's
import API. The rootfs tarball is cached on disk, so rebuilding the image after an engine reset
takes seconds. An instance image adds the task repository at its base commit in ``/testbed``,
cloned with gitpython from ``--repos DIR`` (``owner__name`` clone or ``owner__name.bundle``).
Images are tagged with a hash of what went into them, so an unchanged input reuses its image.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from env.instances import Instance, swebench_image_name, swegym_image_name
from env.ownership import LABEL_KEY, LOG_CONFIG, SESSION_LABEL, STARTED_LABEL, owner_labels

CONTENT_LABEL = "srl-trainer.content"
BASE_REPOSITORY = "srl-trainer/base"
INSTANCE_REPOSITORY = "srl-trainer/instance"
# Where an instance image comes from: built offline, or an official registry's image by name.
OFFICIAL_IMAGE_SOURCES = ("swebench", "swegym")
IMAGE_SOURCES = ("build", *OFFICIAL_IMAGE_SOURCES)

# Image settings a plain rootfs import lacks (same list for the API and the CLI import).
IMPORT_CHANGES = [
    "ENV LANG=C.UTF-8 PIP_NO_INDEX=1 PIP_DISABLE_PIP_VERSION_CHECK=1",
    "WORKDIR /testbed",
    'CMD ["sleep", "infinity"]',
    f"LABEL {LABEL_KEY}=image",
]
BASE_PACKAGES = (
    "python3",
    "python3-pytest",
    "python3-pip",
    "python3-venv",
    "git",
    "patch",
    "procps",
)


class ImageError(RuntimeError):
    """An image cannot be built: missing tool, missing repository source, unknown commit."""


@dataclass
class ImageConfig:
    """How base and instance images are built."""

    suite: str = field(default="bookworm", metadata={"help": "Debian suite of the base image."})
    mirror: str = field(
        default="http://deb.debian.org/debian",
        metadata={"help": "Debian mirror debootstrap downloads from (an apt proxy works too)."},
    )
    packages: list[str] = field(
        default_factory=lambda: list(BASE_PACKAGES),
        metadata={"help": "Debian packages in the base image."},
    )
    cache_dir: str = field(
        default=os.path.join(os.path.expanduser("~"), ".cache", "srl-trainer"),
        metadata={"help": "Where the debootstrap rootfs tarball is cached."},
    )
    repos: str = field(
        default="",
        metadata={"help": "Directory of task repositories: owner__name clones or owner__name.bundle."},
    )
    install_repo: bool = field(
        default=True,
        metadata={
            "help": "pip-install the task repo (offline, --no-deps) when it has setup.py or "
            "pyproject.toml; a failed install is tolerated (tests then import from /testbed)."
        },
    )
    image_source: str = field(
        default="build",
        metadata={
            "help": "build: offline images from --repos; swebench / swegym: the official "
            "per-instance images by name (pulled when missing; needs a registry).",
            "choices": IMAGE_SOURCES,
        },
    )


def _short_hash(*parts: str) -> str:
    return hashlib.sha256("\x00".join(parts).encode()).hexdigest()[:16]


def base_image_tag(config: ImageConfig) -> str:
    """``srl-trainer/base:<suite>-<hash of suite, mirror-independent package set>``."""
    key = _short_hash(config.suite, *sorted(config.packages), "v1")
    return f"{BASE_REPOSITORY}:{config.suite}-{key}"


def _find_image(client, tag: str):
    import docker.errors

    try:
        return client.images.get(tag)
    except docker.errors.ImageNotFound:
        return None


def build_rootfs_tarball(config: ImageConfig) -> Path:
    """The cached rootfs tarball, made with debootstrap when missing (needs root and the mirror)."""
    tag = base_image_tag(config)
    cache = Path(config.cache_dir)
    tarball = cache / f"rootfs-{tag.rsplit(':', 1)[1]}.tar"
    if tarball.is_file():
        return tarball
    if shutil.which("debootstrap") is None:
        raise ImageError("debootstrap is not installed: apt-get install -y debootstrap (as root)")
    cache.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=cache, prefix="rootfs-build-") as work:
        root = Path(work) / "rootfs"
        cmd = [
            "debootstrap", "--variant=minbase", f"--include={','.join(config.packages)}",
            config.suite, str(root), config.mirror,
        ]  # fmt: skip
        result = subprocess.run(cmd, check=False, capture_output=True, text=True)
        if result.returncode != 0:
            tail = (result.stdout + result.stderr).strip().splitlines()[-3:]
            raise ImageError(f"debootstrap failed ({' | '.join(tail)}); check the mirror {config.mirror}")
        # Downloaded packages and apt lists are not needed inside the sandbox.
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for child in (root / junk).glob("*"):
                if child.is_file():
                    child.unlink()
        partial = tarball.with_suffix(".partial")
        subprocess.run(
            ["tar", "-C", str(root), "--numeric-owner", "-cf", str(partial), "."],
            check=True,
        )
        partial.rename(tarball)
    return tarball


def ensure_base_image(client, config: ImageConfig | None = None) -> str:
    """Tag of the base image; imported from the (cached) rootfs tarball when the engine lacks it."""
    config = config or ImageConfig()
    tag = base_image_tag(config)
    if _find_image(client, tag) is not None:
        return tag
    tarball = build_rootfs_tarball(config)
    repository, version = tag.split(":")
    client.api.import_image(
        src=str(tarball),
        repository=repository,
        tag=version,
        changes=IMPORT_CHANGES,
    )
    image = _find_image(client, tag)
    if image is None:
        raise ImageError(f"importing {tarball} did not produce {tag}")
    image.tag(BASE_REPOSITORY, config.suite)  # a stable name for humans and docker run
    return tag


def repo_source(repos_dir: str | Path, repo: str) -> Path:
    """The clone or bundle of ``repo`` (``owner/name``) under ``repos_dir``."""
    if not repos_dir:
        raise ImageError(f"no --repos directory given; it must hold {repo.replace('/', '__')}")
    base = Path(repos_dir) / repo.replace("/", "__")
    for candidate in (base, base.with_name(base.name + ".bundle")):
        if candidate.exists():
            return candidate
    raise ImageError(
        f"repository {repo} not found under {repos_dir} "
        f"(expected a clone {base.name} or a bundle {base.name}.bundle)"
    )


def _checkout_at_base(source: Path, base_commit: str, dest: Path) -> None:
    """Clone ``source`` into ``dest`` at ``base_commit`` with no other history reachable, so the
    agent cannot read the fix from later commits."""
    import git

    try:
        repo = git.Repo.clone_from(str(source), str(dest), no_checkout=True)
        repo.git.checkout("-q", "--detach", base_commit)
    except git.GitCommandError as error:
        raise ImageError(f"cannot check out {base_commit} from {source}: {error.stderr.strip()}") from None
    repo.git.remote("remove", "origin")
    for ref in repo.git.for_each_ref("--format=%(refname)").split():
        repo.git.update_ref("-d", ref)
    repo.git.checkout("-q", "-b", "main")
    repo.git.reflog("expire", "--expire=now", "--all")
    repo.git.gc("-q", "--prune=now")
    repo.close()


def instance_image_tag(instance: Instance, base_tag: str, source: Path, install: bool) -> str:
    key = _short_hash(base_tag, instance.repo, instance.base_commit, str(install), "v1")
    name = re.sub(r"[^a-z0-9_.-]+", "-", instance.instance_id.lower()).strip(".-")[:100]
    return f"{INSTANCE_REPOSITORY}:{name}-{key}"


def _tar_directory(path: Path, arcname: str, dest: Path) -> Path:
    # On disk, not in memory: a large repository with its history can be hundreds of MB.
    with tarfile.open(dest, mode="w") as tar:
        tar.add(str(path), arcname=arcname)
    return dest


def ensure_instance_image(client, instance: Instance, config: ImageConfig) -> str:
    """Tag of the image holding ``instance``'s repository at its base commit in ``/testbed``."""
    base_tag = ensure_base_image(client, config)
    source = repo_source(config.repos, instance.repo)
    tag = instance_image_tag(instance, base_tag, source, config.install_repo)
    if _find_image(client, tag) is not None:
        return tag
    with tempfile.TemporaryDirectory(prefix="srl-instance-") as work:
        checkout = Path(work) / "testbed"
        _checkout_at_base(source, instance.base_commit, checkout)
        archive = _tar_directory(checkout, "testbed", Path(work) / "testbed.tar")
        _commit_instance_image(client, base_tag, archive, tag, config)
    return tag


def _commit_instance_image(client, base_tag: str, archive: Path, tag: str, config: ImageConfig) -> None:
    """Unpack ``archive`` as /testbed in a container of the base image, set it up, commit."""
    container = client.containers.create(
        base_tag,
        ["sleep", "infinity"],
        network_mode="none",
        labels={LABEL_KEY: "image-build", **owner_labels()},
        log_config=LOG_CONFIG,
    )
    try:
        container.start()
        container.exec_run(["rm", "-rf", "/testbed"])
        with archive.open("rb") as stream:
            container.put_archive("/", stream)
        # Build leftovers never belong in the agent's patch; the reset keeps *.egg-info so an
        # editable install survives `git clean`.
        setup = (
            "git config --system --add safe.directory '*' && cd /testbed && "
            "printf '*.egg-info\\n__pycache__/\\n*.pyc\\n.pytest_cache/\\n' >> .git/info/exclude"
        )
        if config.install_repo:
            setup += (
                "; if [ -f setup.py ] || [ -f pyproject.toml ]; then pip install -q --no-deps "
                "--no-build-isolation --break-system-packages -e . >/tmp/pip-install.log 2>&1 "
                "|| echo 'pip install failed' >&2; fi"
            )
        code, out = container.exec_run(["bash", "-c", setup])
        if code != 0:
            raise ImageError(f"setting up /testbed for {tag} failed: {out.decode()[-300:]}")
        repository, version = tag.split(":")
        container.commit(
            repository=repository,
            tag=version,
            conf={
                # The build container's owner labels would pass into the image (and so into every
                # container made from it): blank them.
                "Labels": {LABEL_KEY: "image", CONTENT_LABEL: version, SESSION_LABEL: "", STARTED_LABEL: ""},
                "WorkingDir": "/testbed",
            },
        )
    finally:
        container.remove(force=True)


def official_image(client, instance: Instance, source: str) -> str:
    """The official SWE-bench / SWE-Gym image of ``instance``, pulled when the engine lacks it."""
    import docker.errors

    name = (
        swebench_image_name(instance.instance_id)
        if source == "swebench"
        else swegym_image_name(instance.instance_id)
    )
    if _find_image(client, name) is None:
        try:
            client.images.pull(name)
        except docker.errors.APIError as error:
            raise ImageError(
                f"image {name} is not on this engine and cannot be pulled ({error.explanation}); "
                "offline, build images from local repositories instead: --image-source build --repos DIR"
            ) from None
    return name


def instance_image(client, instance: Instance, config: ImageConfig) -> str:
    """The image an episode of ``instance`` runs in, as ``config.image_source`` says."""
    if config.image_source in OFFICIAL_IMAGE_SOURCES:
        return official_image(client, instance, config.image_source)
    return ensure_instance_image(client, instance, config)


def main() -> int:
    """``python3 -m env.images``: build the base image with only the docker CLI and the standard
    library (CI runs this before any virtualenv exists)."""
    config = ImageConfig()
    tag = base_image_tag(config)
    present = subprocess.run(["docker", "image", "inspect", tag], capture_output=True, check=False)
    if present.returncode != 0:
        tarball = build_rootfs_tarball(config)
        changes = [f"--change={change}" for change in IMPORT_CHANGES]
        subprocess.run(["docker", "import", *changes, str(tarball), tag], check=True)
    subprocess.run(["docker", "tag", tag, f"{BASE_REPOSITORY}:{config.suite}"], check=True)
    print(tag)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
