"""The `manage.py demo` steps of curation: a few curated topics, and an admin login."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand

DEMO_ADMIN = "admin"

# Curated topics matching the bundled Hugging Face sample (keywords: one term or "phrase" a line).
DEMO_TOPICS = [
    (
        "Vision and image generation",
        "vision",
        "Image and video generation, diffusion models and visual understanding.",
        ['"image generation"', '"video generation"', "diffusion", '"vision language"', "segmentation"],
    ),
    (
        "Large language models",
        "language-models",
        "Training, reasoning and evaluation of large language models.",
        ['"large language model"', "LLM", "reasoning", '"chain of thought"', '"instruction tuning"'],
    ),
    (
        "Robotics and agents",
        "robotics",
        "Robot learning, reinforcement learning and autonomous agents.",
        ["robot", '"reinforcement learning"', "embodied", "agent", "manipulation"],
    ),
    (
        "Efficient machine learning",
        "efficient-ml",
        "Making models smaller and faster: quantization, sparsity, distillation, efficient attention.",
        ["quantization", "pruning", "distillation", '"efficient inference"', '"sparse attention"'],
    ),
]


def step_demo_topics(command: BaseCommand) -> None:
    """Create the demo topics once; a topic a curator since edited is left as it is."""
    from digest.papers.models import Topic

    for name, slug, description, keywords in DEMO_TOPICS:
        if Topic.objects.filter(slug=slug).exists() or Topic.objects.filter(name=name).exists():
            command.stdout.write(f"  topic {name!r} kept")
            continue
        Topic.objects.create(name=name, slug=slug, description=description, keywords="\n".join(keywords))
        command.stdout.write(f"  topic {name!r} created")


def demo_login_file() -> Path:
    return Path(settings.VAR_DIR) / "demo-admin-login.txt"


def step_admin_login(command: BaseCommand) -> None:
    """Create a superuser `admin` with a random password once, keep the password in
    var/demo-admin-login.txt (mode 0600) and print the login on every run. An account whose
    password was since changed, or one created by someone else, is left alone."""
    user_model = get_user_model()
    path = demo_login_file()
    url = f"{settings.SITE_URL}/admin/"
    user = user_model.objects.filter(username=DEMO_ADMIN).first()
    if user is None:
        password = secrets.token_urlsafe(12)
        user_model.objects.create_superuser(DEMO_ADMIN, "", password)
        path.parent.mkdir(parents=True, exist_ok=True)
        # Created private from the start: the password never sits in a world-readable file.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(password + "\n")
    saved = path.read_text().strip() if path.exists() else ""
    user = user_model.objects.get(username=DEMO_ADMIN)
    if saved and user.check_password(saved):
        command.stdout.write(f"  admin login: {url}  user {DEMO_ADMIN}  password {saved}  (saved in {path})")
    else:
        command.stdout.write(
            f"  admin login: {url}  user {DEMO_ADMIN} (password set by you; "
            f"`manage.py changepassword {DEMO_ADMIN}` to reset it)"
        )
