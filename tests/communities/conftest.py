"""A community "School" run by alice with her group "Trip" (alice, bob, carol) in it."""

import pytest

from communities import services
from tests.groups.conftest import (  # noqa: F401  (shared fixtures)
    _fast_password_hashing,
    alice_contacts,
    clients,
    group,
    make_member,
    pushes,
    staff,
)


@pytest.fixture
def community(alice, group):  # noqa: F811  (the imported fixture)
    community = services.create_community(alice, name="School", description="Parents")
    services.add_community_group(alice, community=community, group=group)
    return community
