/** The signed-in layout: a sidebar (a top bar on narrow windows) and the routed page. */
import { ROLE_LABELS } from './features/auth/api';
import { useSession } from './features/auth/session';
import { Logo } from './features/auth/SignInPage';
import { AccountPage } from './features/accounts/AccountPage';
import { DestinationsPage } from './features/destinations/DestinationsPage';
import { IdentitiesPage } from './features/identities/IdentitiesPage';
import { IdentityPage } from './features/identities/IdentityPage';
import { ReportsPage } from './features/reports/ReportsPage';
import { CampaignPage } from './features/reviews/CampaignPage';
import { NewCampaignPage } from './features/reviews/NewCampaignPage';
import { WaitingBadge } from './features/reviews/parts';
import { ReviewsPage } from './features/reviews/ReviewsPage';
import { SettingsPage } from './features/settings/SettingsPage';
import { CreateSourceWizard } from './features/sources/CreateSourceWizard';
import { RunPage } from './features/sources/RunPage';
import { SourcePage } from './features/sources/SourcePage';
import { SourcesPage } from './features/sources/SourcesPage';
import { EmptyState } from './ui/components';
import { skipToContent, usePageFocus } from './ui/focus';
import { href, useRoute } from './ui/router';
import { ThemeToggle } from './ui/ThemeToggle';
import './shell.css';

const NAV = [
  { id: 'sources', label: 'Sources' },
  { id: 'identities', label: 'Identities' },
  { id: 'reviews', label: 'Reviews' },
  { id: 'reports', label: 'Reports' },
  { id: 'destinations', label: 'Destinations' },
  { id: 'settings', label: 'Settings' },
] as const;

export function Shell() {
  const { user, signOut } = useSession();
  const { segments } = useRoute();
  const section = segments[0] ?? 'sources';
  usePageFocus(segments.join('/'));

  return (
    <div className="shell">
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          skipToContent();
        }}
      >
        Skip to content
      </a>
      <aside className="sidebar">
        <a className="brand" href={href('/sources')}>
          <Logo />
          <span>duo-insights</span>
        </a>
        <nav aria-label="Main">
          <ul>
            {NAV.map((item) => (
              <li key={item.id}>
                <a
                  href={href(`/${item.id}`)}
                  className={section === item.id ? 'nav-link nav-current' : 'nav-link'}
                  {...(section === item.id ? { 'aria-current': 'page' as const } : {})}
                >
                  {item.label}
                  {item.id === 'reviews' && <WaitingBadge />}
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <ThemeToggle />
        <div className="sidebar-user">
          <span className="user-name">{user.username}</span>
          <span className="user-role">{ROLE_LABELS[user.role]}</span>
          <button type="button" className="button button-small button-ghost" onClick={signOut}>
            Sign out
          </button>
        </div>
      </aside>
      <main className="content" id="main" tabIndex={-1}>
        {/* Keyed by the resource in the path (`/sources/abc`): opening another one (link, typed
            address, Back/Forward) mounts a new page, so no state — a form's fields, a connection
            test's verdict — carries over from the one shown before. A source's tabs keep it. */}
        <Page key={segments.slice(0, 2).join('/')} segments={segments} />
      </main>
    </div>
  );
}

function Page({ segments }: { segments: readonly string[] }) {
  const [section = 'sources', id, tab, runId] = segments;
  switch (section) {
    case 'sources':
      if (id === 'new') return <CreateSourceWizard />;
      if (id && tab === 'runs' && runId) return <RunPage sourceId={id} runId={runId} />;
      return id ? <SourcePage id={id} tab={tab ?? 'overview'} /> : <SourcesPage />;
    case 'identities':
      return id ? <IdentityPage id={id} /> : <IdentitiesPage />;
    case 'reviews':
      if (id === 'new') return <NewCampaignPage />;
      return id ? <CampaignPage id={id} /> : <ReviewsPage />;
    case 'accounts':
      if (id && /^\d+$/.test(id)) return <AccountPage id={Number(id)} />;
      return <NoSuchPage segments={segments} />;
    case 'reports':
      return <ReportsPage report={id ?? 'access-review'} />;
    case 'destinations':
      return <DestinationsPage />;
    case 'settings':
      return <SettingsPage tab={id ?? 'users'} />;
    default:
      return <NoSuchPage segments={segments} />;
  }
}

function NoSuchPage({ segments }: { segments: readonly string[] }) {
  return (
    <EmptyState title="There is no such page" action={<a href={href('/sources')}>Go to Sources</a>}>
      The address {`/${segments.join('/')}`} does not lead anywhere.
    </EmptyState>
  );
}
