from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.test import Client

from digest.curation.services import CURATOR_GROUP, curator_group_setup


@pytest.fixture
def curator(db: None) -> User:
    curator_group_setup()
    user = User.objects.create_user("curator", "curator@example.org", "curator-password", is_staff=True)
    user.groups.add(Group.objects.get(name=CURATOR_GROUP))
    return user


@pytest.fixture
def curator_client(curator: User) -> Client:
    client = Client()
    client.force_login(curator)
    return client
